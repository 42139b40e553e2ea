"""The base class of file formats.

A format turns an object into bytes written to an open file and back. It never opens files by
path: the target opens the file on whatever filesystem the workspace lives on, writes atomically,
and turns failures into errors that name the path. A format plugin subclasses :class:`Format` and
implements two methods, :meth:`Format.dump` and :meth:`Format.load`; each is told the facts of
the file at hand in a :class:`FormatContext`.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any, ClassVar


@dataclass(frozen=True)
class FormatContext:
    """What a format is told about the file of one dump or load."""

    #: The target's path as the task built it (a local path or an URL): for messages.
    path: str = ""
    #: The file-name suffix the format was chosen by (``".csv.gz"``), or None when the format
    #: was named explicitly.
    suffix: str | None = None
    #: The fsspec codec of a compression suffix (``"gzip"`` for ``x.csv.gz``), or None. The
    #: target (de)compresses: the format reads and writes the plain bytes.
    compression: str | None = None
    #: The type the task declared for its output (``T`` of ``TaskOnKart[T]``), or None. A format
    #: may load into that type (gokart-pandas loads polars frames for a polars type).
    declared_type: Any = None
    #: A local file that a native reader or writer may open by name instead of using ``fp``:
    #: the file being read, or the temporary file of an atomic write, which ``fp`` has open
    #: with nothing read or written yet. None on remote filesystems and under compression.
    local_path: str | None = None


@dataclass(frozen=True)
class FormatChoice:
    """A format for a path (what ``gokart_resolve_format`` answers), with what it was chosen by."""

    format: Format
    suffix: str | None = None
    compression: str | None = None


class Format(abc.ABC):
    """One file format. Subclasses set ``name`` and implement ``dump`` and ``load``.

    ``binary = False`` makes the target wrap the file in a text layer (encoding from the
    ``encoding`` option, utf-8 by default) before calling ``dump``/``load``.
    Options given to ``make_target(..., format_options={...})`` arrive in ``self.options``;
    an instance holds nothing else, so that one may serve any number of files.
    """

    #: The format's registered name, used in messages and by ``make_target(format=...)``.
    name: ClassVar[str] = ""
    #: Whether ``dump``/``load`` get a binary file (True) or a text file (False).
    binary: ClassVar[bool] = True
    #: The ``newline`` argument of the text layer when ``binary`` is False.
    newline: ClassVar[str | None] = ""
    #: What ``accepts`` lets through, as shown in the error for anything else.
    accepted: ClassVar[str] = "any object"

    def __init__(self, **options: Any) -> None:
        self.options: Mapping[str, Any] = options

    def accepts(self, obj: Any) -> bool:
        """Whether ``obj`` can be stored. Checked before any file is created."""
        return True

    @property
    def encoding(self) -> str:
        """The text encoding used when ``binary`` is False."""
        return str(self.options.get("encoding", "utf-8"))

    @abc.abstractmethod
    def dump(self, obj: Any, fp: IO[Any], context: FormatContext) -> None:
        """Write ``obj`` to the open file ``fp``."""

    @abc.abstractmethod
    def load(self, fp: IO[Any], context: FormatContext) -> Any:
        """Read an object from the open file ``fp``."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, options={dict(self.options)!r})"
