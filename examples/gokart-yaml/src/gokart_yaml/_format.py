"""YAML documents through PyYAML's safe loader and dumper."""

from __future__ import annotations

from typing import IO, Any, ClassVar

import yaml

from gokart_core.plugin_api import Format, FormatContext

_SCALARS = (str, int, float, bool, type(None))


def _plain(obj: Any) -> bool:
    """Whether ``obj`` is made only of what ``yaml.safe_dump`` writes and reads back equal."""
    if isinstance(obj, _SCALARS):
        return True
    if isinstance(obj, list):
        return all(_plain(item) for item in obj)
    if isinstance(obj, dict):
        return all(isinstance(k, _SCALARS) and _plain(v) for k, v in obj.items())
    return False


class YamlFormat(Format):
    name: ClassVar[str] = "yaml"
    binary: ClassVar[bool] = False  # the core adds a text layer (option: encoding)
    accepted: ClassVar[str] = "dicts, lists and scalars (str, int, float, bool, None)"

    def accepts(self, obj: Any) -> bool:
        return _plain(obj)

    def dump(self, obj: Any, fp: IO[str], context: FormatContext) -> None:
        yaml.safe_dump(obj, fp, allow_unicode=True, sort_keys=False)

    def load(self, fp: IO[str], context: FormatContext) -> Any:
        return yaml.safe_load(fp)
