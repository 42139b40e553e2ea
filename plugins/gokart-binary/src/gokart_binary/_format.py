"""Raw bytes, written and read as they are (gokart's ``BinaryFileProcessor``).

``dump`` takes ``bytes``, ``bytearray`` or a ``memoryview`` (e.g. ``buffer.getbuffer()`` of a
``BytesIO`` that ``plt.savefig`` wrote to); ``load`` gives ``bytes``. The content is not checked:
a ``.png`` target holds whatever bytes it was given, and a truncated image loads as the bytes
that are there. gokart wrote anything ``file.write`` took; here anything else (a str, an image
object, a ``BytesIO``) is a TypeError before a file is created.
"""

from __future__ import annotations

from typing import IO, Any, ClassVar

from gokart_core.plugin_api import Format, FormatContext


class BinaryFormat(Format):
    name: ClassVar[str] = "binary"
    binary: ClassVar[bool] = True
    accepted: ClassVar[str] = "bytes, bytearray or memoryview"

    def accepts(self, obj: Any) -> bool:
        return isinstance(obj, (bytes, bytearray, memoryview))

    def dump(self, obj: Any, fp: IO[bytes], context: FormatContext) -> None:
        if isinstance(obj, memoryview):
            # As a flat view of bytes: some file objects count what len() says was written.
            obj = obj.cast("B") if obj.c_contiguous else obj.tobytes()
        fp.write(obj)

    def load(self, fp: IO[bytes], context: FormatContext) -> bytes:
        return fp.read()
