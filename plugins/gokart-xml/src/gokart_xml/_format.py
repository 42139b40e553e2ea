"""XML files as :class:`xml.etree.ElementTree.ElementTree`, parsed with defusedxml.

As gokart: ``dump`` takes an ``ElementTree`` (an ``Element`` is also taken, as the root of a new
tree) and ``load`` gives one. Unlike gokart:

- parsing is safe: a file that declares an entity (the "billion laughs" bomb, an external entity
  such as ``<!ENTITY x SYSTEM "file:///etc/passwd">``, a parameter entity) is refused with
  :class:`UnsafeXmlError` before anything is expanded or read. The target reports it as a
  ``LoadError`` naming the path. An external DTD (``<!DOCTYPE r SYSTEM "...">``) is never
  fetched: an entity it would define stays undefined, which is a parse error.
- a file that does not parse is an error. gokart returned an empty ``ElementTree()``.
- the file is written as bytes with an XML declaration, in the ``encoding`` option (utf-8 by
  default); characters the encoding lacks become character references. Loading follows the
  declaration, or decodes with the ``encoding`` option when it is given; multi-byte encodings
  that expat lacks (cp932, shift_jis, ...) are decoded in Python. gokart 1.12 wrote through a
  text layer, which fails for a local file (``TypeError: write() argument must be str``); gokart
  reads the files written here.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from typing import IO, Any, ClassVar

import defusedxml  # type: ignore[import-untyped]
import defusedxml.ElementTree  # type: ignore[import-untyped]

from gokart_core.plugin_api import Format, FormatContext


class UnsafeXmlError(ValueError):
    """The file uses an XML feature refused for safety: entity declarations, external references."""


class XmlFormat(Format):
    name: ClassVar[str] = "xml"
    binary: ClassVar[bool] = True
    accepted: ClassVar[str] = "an xml.etree.ElementTree.ElementTree with a root, or an Element"

    def accepts(self, obj: Any) -> bool:
        if isinstance(obj, ET.ElementTree):
            return ET.iselement(obj.getroot())
        return isinstance(obj, ET.Element)

    def dump(self, obj: Any, fp: IO[bytes], context: FormatContext) -> None:
        tree = obj if isinstance(obj, ET.ElementTree) else ET.ElementTree(obj)
        tree.write(fp, encoding=self.encoding, xml_declaration=True)

    def load(self, fp: IO[bytes], context: FormatContext) -> ET.ElementTree:
        encoding = self.options.get("encoding")
        if encoding is not None:
            # Decoded here, so that encodings expat lacks (cp932, shift_jis, gbk) load too.
            return _parse(io.StringIO(fp.read().decode(str(encoding))))
        try:
            return _parse(fp)
        except ValueError as exc:
            # expat reads UTF-8, UTF-16 and single-byte encodings only: decode others here.
            if "multi-byte encodings are not supported" not in str(exc) or not fp.seekable():
                raise
            fp.seek(0)
            data = fp.read()
            declared = _DECLARED_ENCODING.match(data)
            if declared is None:
                raise
            return _parse(io.StringIO(data.decode(declared.group(1).decode("ascii"))))


_DECLARED_ENCODING = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def _parse(source: IO[bytes] | IO[str]) -> ET.ElementTree:
    try:
        tree: ET.ElementTree = defusedxml.ElementTree.parse(source)
    except defusedxml.DefusedXmlException as exc:
        raise UnsafeXmlError(
            f"refused to parse: {exc}; entity declarations and external references are "
            "disabled (XML bombs, reads of local files)"
        ) from exc
    return tree
