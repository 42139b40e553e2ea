"""The ``.npz`` format for gokart-core: one numpy array."""

from __future__ import annotations

from gokart_core.plugin_api import FormatRegistry, hookimpl


@hookimpl
def gokart_register_formats(registry: FormatRegistry) -> None:
    registry.add(
        "npz",
        "gokart_numpy._format:NpzFormat",
        extensions=(".npz",),
        install_hint="gokart-numpy",
    )
