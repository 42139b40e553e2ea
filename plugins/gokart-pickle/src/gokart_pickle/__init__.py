"""The ``.pkl`` format for gokart-core."""

from __future__ import annotations

from gokart_core.plugin_api import FormatRegistry, hookimpl


@hookimpl
def gokart_register_formats(registry: FormatRegistry) -> None:
    registry.add(
        "pickle",
        "gokart_pickle._format:PickleFormat",
        extensions=(".pkl",),
        install_hint="gokart-pickle",
    )
