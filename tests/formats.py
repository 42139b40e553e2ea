"""Small formats for core's tests: a text format and a format that counts its calls."""

from __future__ import annotations

import json
from typing import IO, Any, ClassVar

from gokart_core import Format, FormatRegistry, hookimpl
from gokart_core.target.format import FormatContext


class JsonText(Format):
    """A text format (json.dump through the text layer), to exercise ``binary = False``."""

    name: ClassVar[str] = "test-json"
    binary: ClassVar[bool] = False
    accepted: ClassVar[str] = "dict or list"

    def accepts(self, obj: Any) -> bool:
        return isinstance(obj, (dict, list))

    def dump(self, obj: Any, fp: IO[str], context: FormatContext) -> None:
        json.dump(obj, fp, ensure_ascii=False)

    def load(self, fp: IO[str], context: FormatContext) -> Any:
        return json.load(fp)


@hookimpl
def gokart_register_formats(registry: FormatRegistry) -> None:
    registry.add("test-json", JsonText, extensions=(".tjson",))
