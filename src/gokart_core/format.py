"""The base class of file formats.

A format turns an object into bytes written to an open file and back. It never opens files by
path: the target opens the file on whatever filesystem the workspace lives on, writes atomically,
and turns failures into errors that name the path. A format plugin subclasses :class:`Format` and
implements two methods, :meth:`Format.dump` and :meth:`Format.load`.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import IO, Any, ClassVar


class Format(abc.ABC):
    """One file format. Subclasses set ``name`` and implement ``dump`` and ``load``.

    ``binary = False`` makes the target wrap the file in a text layer (encoding from the
    ``encoding`` option, utf-8 by default) before calling ``dump``/``load``.
    Options given to ``make_target(..., format_options={...})`` arrive in ``self.options``.
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
        #: The file-name suffix this format was chosen by (``".csv.gz"``), set by the registry;
        #: the task inserts the unique id before it.
        self.suffix: str | None = None
        #: The fsspec codec of a compression suffix (``"gzip"`` for ``x.csv.gz``), or None.
        self.compression: str | None = None
        #: The type a task declared for its output (``T`` of ``TaskOnKart[T]``), set by
        #: ``make_target``; None when undeclared. A format may load into that type (polars).
        self.declared_type: Any = None

    def accepts(self, obj: Any) -> bool:
        """Whether ``obj`` can be stored. Checked before any file is created."""
        return True

    @property
    def encoding(self) -> str:
        """The text encoding used when ``binary`` is False."""
        return str(self.options.get("encoding", "utf-8"))

    @abc.abstractmethod
    def dump(self, obj: Any, fp: IO[Any]) -> None:
        """Write ``obj`` to the open file ``fp``."""

    @abc.abstractmethod
    def load(self, fp: IO[Any]) -> Any:
        """Read an object from the open file ``fp``."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, options={dict(self.options)!r})"
