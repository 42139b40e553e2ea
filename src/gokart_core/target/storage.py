"""Filesystem I/O for targets: atomic writes on any fsspec filesystem.

Atomic means a reader never sees a partly written file at the target's path, whatever happens to
the writer (an exception, SIGKILL, a full disk). :func:`atomic_write` asks the
``gokart_atomic_writer`` hook, so that a storage plugin writes the way its store publishes
(gokart-s3 and gokart-gcs: ``open(..., autocommit=False)``, then ``commit()`` or ``discard()``,
through :mod:`gokart_core.target.object_store`). Core's own way, :func:`default_atomic_write`:

- local disk: write a temporary file beside the target, then ``os.replace`` it over the target;
- any other filesystem (``memory://``, sftp, ...): write a hidden temporary file beside the
  target, then ``fs.mv`` it.

A filesystem-wide ``fs.transaction`` is never used: filesystem instances are shared between tasks.
"""

from __future__ import annotations

import contextlib
import io
import os
import posixpath
import secrets
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timezone
from typing import IO, Any

import luigi.configuration
from fsspec import AbstractFileSystem
from fsspec.implementations.local import LocalFileSystem
from fsspec.implementations.memory import MemoryFileSystem

from gokart_core.locks.held import before_publish
from gokart_core.plugin.manager import get_plugins
from gokart_core.target import leftovers

#: Buffer size for local writes: fewer system calls for formats that write in small pieces.
LOCAL_BUFFER_SIZE = 1 << 20


def is_local(fs: AbstractFileSystem) -> bool:
    return isinstance(fs, LocalFileSystem)


def is_process_local(fs: AbstractFileSystem) -> bool:
    """Whether the files of ``fs`` live in this process's memory (``memory://``): another
    process, a forked child included, sees none of what this one writes there, and the other
    way round."""
    return isinstance(fs, MemoryFileSystem)


def temporary_name(path: str) -> str:
    """A hidden sibling of ``path``: never mistaken for the target, easy to clean up.

    The target's name is cut at 200 characters, so that a long name (up to the usual 255)
    still leaves room for the random part.
    """
    head, tail = posixpath.split(path)
    return posixpath.join(head, f".{tail[:200]}.{secrets.token_hex(6)}.tmp")


def atomic_write(
    fs: AbstractFileSystem, path: str, metadata: Mapping[str, str] | None = None
) -> AbstractContextManager[IO[bytes]]:
    """Open ``path`` for binary writing; publish it only if the ``with`` block succeeds (the
    ``gokart_atomic_writer`` hook: a storage plugin's way, else :func:`default_atomic_write`,
    which ignores ``metadata``: the object's labels, for stores that keep them)."""
    return get_plugins().atomic_writer(fs, path, metadata)


@contextmanager
def default_atomic_write(fs: AbstractFileSystem, path: str) -> Iterator[IO[bytes]]:
    """Core's atomic write: a temporary file beside the target, then renamed over it."""
    if is_local(fs):
        with _atomic_write_local(path) as fp:
            yield fp
    else:
        with _atomic_write_move(fs, path) as fp:
            yield fp


#: The environment variable and the ``[gokart_core]`` option that turn durable writes on.
DURABLE_ENV_VAR, DURABLE_OPTION = "GOKART_DURABLE_WRITES", "durable_writes"


def durable_writes() -> bool:
    """Whether local writes survive a power loss: the file is fsynced before its rename and
    its folder after it. Off by default: two fsyncs cost more than the rest of a small write
    (see the README's figures); ``GOKART_DURABLE_WRITES`` or ``[gokart_core] durable_writes``
    (true/false) turn it on. Without it a crash of the machine (not of a process: that is always
    safe) may lose the latest outputs or leave one of them empty, depending on the filesystem."""
    value = os.environ.get(DURABLE_ENV_VAR)
    if value is None:
        # Asked on every write: has_option first, as luigi's get with a default raises and
        # catches an exception when the section is missing.
        config = luigi.configuration.get_config()
        if not config.has_option("gokart_core", DURABLE_OPTION):
            return False
        value = config.get("gokart_core", DURABLE_OPTION)
    return value.strip().lower() in ("1", "true", "yes", "on")


def _fsync_folder(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def _atomic_write_local(path: str) -> Iterator[IO[bytes]]:
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    # Created here or failing, never someone else's file, and locked (``fd``) while it is
    # written, so that the next writer removes it if this process dies (see
    # gokart_core.target.leftovers); the mode follows the umask as for any new file. Written
    # through a file opened by name, so that ``fp.name`` is a path that formats may hand to
    # native writers.
    fd, tmp = leftovers.open_temporary(path)
    durable = durable_writes()
    try:
        try:
            with open(tmp, "wb", buffering=LOCAL_BUFFER_SIZE) as fp:
                yield fp
                if durable:  # the data on disk before the name points at it
                    fp.flush()
                    os.fsync(fp.fileno())
            before_publish()
            os.replace(tmp, path)
            if durable:  # the rename itself on disk
                _fsync_folder(directory)
        except BaseException:
            with contextlib.suppress(OSError, ValueError):
                os.unlink(tmp)
            raise
    finally:
        os.close(fd)  # drops the lock, after the rename: the name is never free while ours


@contextmanager
def _atomic_write_move(fs: AbstractFileSystem, path: str) -> Iterator[IO[bytes]]:
    parent = fs._parent(path)
    if parent:
        fs.makedirs(parent, exist_ok=True)
    tmp = temporary_name(path)
    try:
        with fs.open(tmp, "wb") as fp:
            yield fp
        before_publish()
        fs.mv(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError, ValueError):
            if fs.exists(tmp):
                fs.rm(tmp)
        raise


@contextmanager
def compressed(fp: IO[bytes], codec: str | None, mode: str) -> Iterator[IO[bytes]]:
    """``fp`` seen through the fsspec codec ``codec`` (no-op for None). Closing the codec's
    file writes its trailer; the underlying file is closed by whoever opened it."""
    if codec is None:
        yield fp
        return
    import fsspec.compression

    stream: IO[bytes] = fsspec.compression.compr[codec](fp, mode=mode)
    try:
        yield stream
    finally:
        stream.close()


def open_for_read(fs: AbstractFileSystem, path: str) -> IO[bytes]:
    if is_local(fs):
        # The default buffer: readers ask for large pieces (pickle's frames and arrays, the csv
        # parser's chunks), which a small buffer passes through while a large one copies them
        # once more (a pickled frame loaded ~6% slower through a 1 MiB buffer).
        return open(path, "rb")
    fp: IO[bytes] = fs.open(path, "rb")
    return fp


def text_layer(fp: IO[bytes], encoding: str, newline: str | None) -> io.TextIOWrapper[Any]:
    return io.TextIOWrapper(fp, encoding=encoding, newline=newline)


def thaw(options: Mapping[str, Any]) -> dict[str, Any]:
    """A plain, mutable copy of ``options`` (nested mappings and sequences included): luigi's
    DictParameter gives frozen ones, which filesystems such as s3fs copy and update."""

    def plain(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return value

    return {k: plain(v) for k, v in options.items()}


def merge_storage_options(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` over ``base``, both thawed; nested dicts (s3fs's ``client_kwargs``,
    gcsfs's ``session_kwargs``, ...) are merged key by key, so a task can change one option of
    a storage plugin's config section without repeating the others."""
    merged: dict[str, Any] = thaw(base)
    for key, value in thaw(override).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def modification_time(fs: AbstractFileSystem, path: str) -> datetime:
    """The modification time of ``path``, timezone-aware (UTC when the filesystem gives none)."""
    mtime: datetime | float = fs.modified(path)
    if isinstance(mtime, (int, float)):
        return datetime.fromtimestamp(mtime, tz=timezone.utc)
    if mtime.tzinfo is None:
        return mtime.replace(tzinfo=timezone.utc)
    return mtime
