"""Text files as lists of lines, plain (``.txt``, ``.ini``) or gzipped (``.gz``).

What gokart 1.12 does, and what is kept:

- a list is written one item a line, ``str(item) + "\\n"`` (so the file ends with a newline);
  anything else is written as ``str(obj)``, with no newline added;
- loading gives the list of lines, split on ``\\n``, ``\\r\\n`` or ``\\r``;
- ``.ini`` is the same as ``.txt``; ``.gz`` is the same, gzipped.

Where this differs, so that no data is lost silently:

- only text, or a list or tuple of text and numbers, is accepted. gokart wrote ``str(obj)`` of
  anything, so a DataFrame became its truncated printout and ``None`` the word ``None``; here any
  other object (bytes, ``None``, a dict, a DataFrame, a list holding one of those) is a TypeError
  before a file is created. Use ``.pkl``, ``.csv`` etc. for those.
- a tuple is written one item a line, like a list (gokart wrote the tuple's ``repr``).
- loading strips the line break only. gokart stripped all trailing whitespace
  (``line.rstrip()``), so ``"a  "`` came back as ``"a"``; here it comes back as ``"a  "``.
  Files written by gokart load to the same list unless their lines end in spaces or tabs.

So a list of strings without line breaks loads back equal; numbers load back as their ``str``;
an item holding a line break loads back as several lines, and a plain string loads as its lines.

The text encoding is the ``encoding`` option (utf-8 by default); a file that does not decode is a
load error.
"""

from __future__ import annotations

import gzip
import io
import numbers
from collections.abc import Iterable
from typing import IO, Any, ClassVar

from gokart_core.plugin_api import Format, FormatContext

ACCEPTED = "a str, or a list or tuple of str and numbers (written one item a line)"


def accepts_text(obj: Any) -> bool:
    """Whether ``obj`` is a str, or a list/tuple whose items are all str or numbers."""
    if isinstance(obj, str):
        return True
    if isinstance(obj, (list, tuple)):
        return all(isinstance(item, (str, numbers.Number)) for item in obj)
    return False


def write_lines(obj: str | list[Any] | tuple[Any, ...], fp: IO[str]) -> None:
    if isinstance(obj, str):
        fp.write(obj)
    else:
        fp.writelines(str(item) + "\n" for item in obj)


def read_lines(lines: Iterable[str]) -> list[str]:
    # The text layer splits on "\n", "\r\n" and "\r" (newline=""): each line ends with at most
    # one of them, and nothing else is stripped.
    return [line.rstrip("\r\n") for line in lines]


class TextFormat(Format):
    """``.txt`` and ``.ini``: one item a line."""

    name: ClassVar[str] = "text"
    binary: ClassVar[bool] = False
    # No newline translation: "\n" is written as is, and reading splits on any line break.
    newline: ClassVar[str | None] = ""
    accepted: ClassVar[str] = ACCEPTED

    def accepts(self, obj: Any) -> bool:
        return accepts_text(obj)

    def dump(self, obj: Any, fp: IO[str], context: FormatContext) -> None:
        write_lines(obj, fp)

    def load(self, fp: IO[str], context: FormatContext) -> list[str]:
        return read_lines(fp)


class GzipTextFormat(Format):
    """``.gz``: the text format, gzipped.

    The gzip header carries no file name and a zero time stamp, so the same lines give the same
    bytes (gokart's ``gzip`` subprocess did the same for data piped to it).
    """

    name: ClassVar[str] = "gz"
    binary: ClassVar[bool] = True
    accepted: ClassVar[str] = ACCEPTED

    def accepts(self, obj: Any) -> bool:
        return accepts_text(obj)

    def dump(self, obj: Any, fp: IO[bytes], context: FormatContext) -> None:
        level = int(self.options.get("compresslevel", 9))
        with (
            gzip.GzipFile(filename="", mode="wb", fileobj=fp, compresslevel=level, mtime=0) as gz,
            io.TextIOWrapper(gz, encoding=self.encoding, newline="") as text,
        ):
            write_lines(obj, text)

    def load(self, fp: IO[bytes], context: FormatContext) -> list[str]:
        with (
            gzip.GzipFile(mode="rb", fileobj=fp) as gz,
            io.TextIOWrapper(gz, encoding=self.encoding, newline="") as text,
        ):
            return read_lines(text)
