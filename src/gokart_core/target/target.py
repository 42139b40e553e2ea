"""Targets: a path on some filesystem, the format of the file there, and the lock guarding it."""

from __future__ import annotations

import dataclasses
import logging
import pickle
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import TYPE_CHECKING, Any

import luigi

from gokart_core import forksafe
from gokart_core.errors import (
    DumpError,
    GokartError,
    LoadError,
    ProcessLocalStorageError,
    TargetNotFoundError,
    UnsupportedObjectError,
)
from gokart_core.locks import held
from gokart_core.plugin.manager import get_plugins
from gokart_core.target import existence, storage
from gokart_core.target.format import Format, FormatChoice, FormatContext

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

logger = logging.getLogger(__name__)

LockFactory = Callable[[], AbstractContextManager[Any]]


class TargetOnKart(luigi.Target):
    """One output file: ``exists``, ``load``, ``dump``, ``remove``, ``last_modification_time``.

    The filesystem is resolved from the path on first use, through the ``gokart_get_filesystem``
    hook. Writes are atomic (see :mod:`gokart_core.target.storage`), so a reader sees the whole
    file or none: ``exists``, ``load`` and ``last_modification_time`` need no lock. ``dump`` and
    ``remove`` run inside the target's lock (a no-op unless a lock plugin is configured), so that
    of two applications dumping one output the second keeps the first one's file.
    """

    def __init__(
        self,
        path: str,
        format: Format,
        *,
        context: FormatContext | None = None,
        lock: LockFactory | None = None,
        lock_key: str | None = None,
        storage_options: Mapping[str, Any] | None = None,
        filesystem: tuple[AbstractFileSystem, str] | None = None,
    ) -> None:
        """``context``: what the format is told of this file (its suffix, compression, the
        declared type); ``filesystem``: the ``(fs, fs_path)`` of ``path`` when the caller has
        resolved it already, otherwise it is resolved from the path on first use."""
        self._path = path
        self.format = format
        self.context = context or FormatContext(path=path)
        self.lock_key = lock_key
        self._lock_factory = lock
        self._lock: AbstractContextManager[Any] | None = None
        # Plain dicts: luigi's DictParameter gives frozen ones, which filesystems may not take.
        self._storage_options: dict[str, Any] = storage.thaw(storage_options or {})
        self._fs: AbstractFileSystem | None = None
        self._fs_path = ""
        # The fork generation the filesystem was resolved in: luigi runs the task in a forked
        # child with the parent's targets, whose filesystems (event loops, connection pools)
        # belong to the parent; the child resolves its own.
        self._fs_generation = forksafe.generation()
        if filesystem is not None:
            self._fs, self._fs_path = filesystem

    def path(self) -> str:
        """The path as the task built it (a local path or an fsspec URL)."""
        return self._path

    def __str__(self) -> str:
        return self._path

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._path!r}, format={self.format.name!r})"

    @property
    def fs(self) -> AbstractFileSystem:
        """The filesystem the path lives on (resolved again in a forked child)."""
        if self._fs is None or self._fs_generation != forksafe.generation():
            self._fs, self._fs_path = get_plugins().filesystem(self._path, self._storage_options)
            self._fs_generation = forksafe.generation()
        return self._fs

    @property
    def fs_path(self) -> str:
        """The path as the filesystem names it (protocol stripped, absolute for local paths)."""
        self.fs  # noqa: B018 - resolves both
        return self._fs_path

    def lock(self) -> AbstractContextManager[Any]:
        """The lock around every operation on this target (made once, entered per operation)."""
        if self._lock is None:
            self._lock = self._lock_factory() if self._lock_factory else nullcontext()
        return self._lock

    def exists(self) -> bool:
        fs = self.fs
        return existence.existence_cache.exists(fs, self._fs_path, get_plugins().file_exists)

    @property
    def locked(self) -> bool:
        """Whether a lock plugin guards this target (the builtin no-op lock does not)."""
        return not isinstance(self.lock(), nullcontext)

    def load(self) -> Any:
        try:
            fp = storage.open_for_read(self.fs, self.fs_path)
        except FileNotFoundError:
            raise TargetNotFoundError(
                f"cannot load {self._path!r}: it does not exist (has its task run?)"
            ) from None
        compression = self.context.compression
        with fp, storage.compressed(fp, compression, "rb") as stream:
            context = self._operation_context(None if compression else self.fs_path)
            try:
                if self.format.binary:
                    return self.format.load(stream, context)
                return self.format.load(
                    storage.text_layer(stream, self.format.encoding, self.format.newline), context
                )
            except GokartError:
                raise
            except Exception as exc:
                raise LoadError(
                    f"cannot load {self._path!r} as format {self.format.name!r}: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc

    def dump(
        self,
        obj: Any,
        *,
        overwrite: bool = True,
        lock: bool = True,
        metadata: Mapping[str, str] | None = None,
    ) -> bool:
        """Write ``obj``; return whether it was written. ``metadata``: the object's labels
        (set by stores that keep them, see ``gokart_atomic_writer``).

        ``overwrite=False`` keeps an existing file when the target is locked: the check and the
        write happen under one lock, so of two applications dumping the same output the second
        keeps the first one's file. (Without a lock plugin the check could race, so it is not
        made: the write is atomic either way.) ``lock=False`` skips the lock and the check, for
        a caller that holds a lock covering this write already (the task's run lock).
        """
        if not self.format.accepts(obj):
            raise UnsupportedObjectError(
                f"cannot dump {type(obj).__module__}.{type(obj).__qualname__} to {self._path!r}: "
                f"format {self.format.name!r} accepts {self.format.accepted}"
            )
        fs, fs_path = self.fs, self.fs_path
        self._refuse_lost_write(fs, "dump to")
        with held.holding(self.lock()) if lock else nullcontext():
            if not overwrite and lock and self.locked and self.exists():
                logger.warning("%s exists already (written by another application); kept", self)
                return False
            try:
                compression = self.context.compression
                with (
                    storage.atomic_write(fs, fs_path, metadata) as raw,
                    storage.compressed(raw, compression, "wb") as fp,
                ):
                    # The temporary file, by name: local atomic writes open it so.
                    local = None if compression or not storage.is_local(fs) else raw.name
                    context = self._operation_context(local)
                    if self.format.binary:
                        self.format.dump(obj, fp, context)
                    else:
                        text = storage.text_layer(fp, self.format.encoding, self.format.newline)
                        self.format.dump(obj, text, context)
                        text.flush()
                        text.detach()  # leave closing the binary file to atomic_write
            except GokartError:
                raise
            except (TypeError, pickle.PicklingError) as exc:
                raise UnsupportedObjectError(
                    f"cannot dump {type(obj).__module__}.{type(obj).__qualname__} to "
                    f"{self._path!r} as format {self.format.name!r}: {exc}; nothing was written"
                ) from exc
            except Exception as exc:
                raise DumpError(
                    f"cannot dump to {self._path!r} as format {self.format.name!r}: "
                    f"{type(exc).__name__}: {exc}; nothing was written"
                ) from exc
            existence.existence_cache.mark_written(fs, fs_path)
        return True

    def _operation_context(self, local_path: str | None) -> FormatContext:
        """The context with ``local_path``, when the file at hand is a plain local one."""
        if local_path is None or not storage.is_local(self.fs):
            return self.context
        return dataclasses.replace(self.context, local_path=local_path)

    def _refuse_lost_write(self, fs: AbstractFileSystem, doing: str) -> None:
        """Raise rather than change a ``memory://`` file in one of luigi's task processes: the
        change would be gone with the process, unseen by the parent and the next tasks."""
        if storage.is_process_local(fs) and forksafe.in_task_process():
            raise ProcessLocalStorageError(
                f"cannot {doing} {self._path!r} in a task process: a memory:// workspace lives "
                "in one process's memory, and with workers>1 (or [worker] "
                "force_multiprocessing) luigi runs each task in a child process whose memory "
                "is gone when the task ends. Build with workers=1, or set workspace_directory "
                "to a local folder or object storage (s3://, gs://)"
            )

    def remove(self) -> None:
        fs, fs_path = self.fs, self.fs_path
        self._refuse_lost_write(fs, "remove")
        with self.lock():
            existence.existence_cache.mark_removed(fs, fs_path)
            if fs.exists(fs_path):
                fs.rm(fs_path)

    def last_modification_time(self) -> datetime:
        return storage.modification_time(self.fs, self.fs_path)


def resolve_format(
    path: str,
    format: str | Format | None = None,
    format_options: Mapping[str, Any] | None = None,
) -> FormatChoice:
    """The format of ``path``: ``format`` (a name or an instance) or found by suffix."""
    if isinstance(format, Format):
        return FormatChoice(format)
    return get_plugins().resolve_format(path, format, format_options or {})


def make_target(
    path: str,
    *,
    format: str | Format | FormatChoice | None = None,
    format_options: Mapping[str, Any] | None = None,
    storage_options: Mapping[str, Any] | None = None,
    lock: LockFactory | None = None,
    lock_key: str | None = None,
    declared_type: Any = None,
) -> TargetOnKart:
    """A target at ``path``; its format is ``format`` (a name, an instance, or a choice already
    made) or found by suffix. ``declared_type``: the type the output is declared to be."""
    choice = (
        format if isinstance(format, FormatChoice) else resolve_format(path, format, format_options)
    )
    context = FormatContext(
        path=path,
        suffix=choice.suffix,
        compression=choice.compression,
        declared_type=declared_type,
    )
    return TargetOnKart(
        path,
        choice.format,
        context=context,
        lock=lock,
        lock_key=lock_key,
        storage_options=storage_options,
    )
