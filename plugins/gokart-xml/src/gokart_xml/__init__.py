"""The ``.xml`` format for gokart-core: ElementTree, parsed safely."""

from __future__ import annotations

from gokart_core.plugin_api import FormatRegistry, hookimpl


@hookimpl
def gokart_register_formats(registry: FormatRegistry) -> None:
    registry.add(
        "xml",
        "gokart_xml._format:XmlFormat",
        extensions=(".xml",),
        install_hint="gokart-xml",
    )
