"""A JSON format on ``.val`` for the lock tests, so they need no format plugin."""

from __future__ import annotations

import json
from typing import IO, Any

from gokart_core import Format, FormatRegistry, hookimpl


class JsonValue(Format):
    name = "test-json-value"

    def dump(self, obj: Any, fp: IO[bytes]) -> None:
        fp.write(json.dumps(obj).encode())

    def load(self, fp: IO[bytes]) -> Any:
        return json.loads(fp.read())


class _Plugin:
    @hookimpl
    def gokart_register_formats(self, registry: FormatRegistry) -> None:
        registry.add("test-json-value", JsonValue, extensions=(".val",))


plugin = _Plugin()
