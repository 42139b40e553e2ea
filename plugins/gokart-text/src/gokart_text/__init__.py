"""The ``.txt``, ``.ini`` and ``.gz`` formats for gokart-core: text as a list of lines."""

from __future__ import annotations

from gokart_core.plugin_api import FormatRegistry, hookimpl


@hookimpl
def gokart_register_formats(registry: FormatRegistry) -> None:
    # gokart reads and writes .ini files exactly as .txt files (its TextFileProcessor).
    registry.add(
        "text",
        "gokart_text._format:TextFormat",
        extensions=(".txt", ".ini"),
        install_hint="gokart-text",
    )
    registry.add(
        "gz",
        "gokart_text._format:GzipTextFormat",
        extensions=(".gz",),
        install_hint="gokart-text",
    )
