"""The ``.png`` and ``.jpg`` formats for gokart-core: raw bytes."""

from __future__ import annotations

from gokart_core.plugin_api import FormatRegistry, hookimpl


@hookimpl
def gokart_register_formats(registry: FormatRegistry) -> None:
    registry.add(
        "binary",
        "gokart_binary._format:BinaryFormat",
        extensions=(".png", ".jpg"),
        install_hint="gokart-binary",
    )
