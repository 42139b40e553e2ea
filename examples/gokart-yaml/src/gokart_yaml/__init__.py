"""The ``.yaml`` / ``.yml`` format for gokart-core."""

from __future__ import annotations

from gokart_core.plugin_api import FormatRegistry, hookimpl


@hookimpl
def gokart_register_formats(registry: FormatRegistry) -> None:
    # "module:Class" is imported only when a .yaml target is first used.
    registry.add(
        "yaml",
        "gokart_yaml._format:YamlFormat",
        extensions=(".yaml", ".yml"),
        install_hint="gokart-yaml",
    )
