"""Temporary files and staging folders that the next writer finds and removes when their
writer died (SIGKILL, a lost machine) before it could.

A writer holds an exclusive ``flock`` on its temporary (a file, or a staging folder) from the
moment it exists until it is renamed or removed; the kernel drops the lock when the writer's
process dies, however it dies. So a temporary whose lock can be taken belongs to nobody alive
and is removed; one whose lock is held is a live writer's and is left alone. No clock, age or
process id is involved, and a forked child's temporaries are told apart like any other.

- A local target's temporary is ``.{name}.{slot}.tmp`` beside it, at the first free slot
  (0, 1, ...; two writers of one target take two slots). Opening it, a writer removes the
  stale ones it finds in the next slots, so leftovers never pile up: a few ``stat`` calls per
  dump, never a listing of the folder (which would grow with the number of outputs there).
- A staging folder (gokart-zip's) is ``{prefix}{random}`` under its parent; making one
  removes the stale folders of the same prefix there (a temporary folder lists few entries).

Where ``fcntl`` does not exist (Windows) nothing is ever found stale; ``gokart-core clean``
removes what is left by age instead.

``gokart-core clean`` asks every storage plugin (``gokart_find_leftovers``) for what is left in a
workspace: :func:`find_temporaries` is core's answer, on any filesystem.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import posixpath
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

#: A temporary of core's atomic writes: ``.{name}.{slot}.tmp``, or the random 12 hex digits of
#: earlier versions (no lock: told by age only).
_TEMPORARY = re.compile(r"^\..+\.(?:(?P<slot>\d+)|[0-9a-f]{12})\.tmp$")
#: The prefix of every staging folder (:func:`staging_folder`).
STAGING_PREFIX = "gokart-"
#: Empty slots probed past the claimed one: a gap appears when a live writer of a middle slot
#: finished while a later slot's writer had died.
_PROBE_AFTER_GAP = 2
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def slot_name(path: str, slot: int) -> str:
    """The temporary of ``path`` at ``slot``: hidden, beside it, never taken for the target.
    The name is cut at 200 characters, so that a long one (up to the usual 255) fits."""
    head, tail = posixpath.split(path)
    return posixpath.join(head, f".{tail[:200]}.{slot}.tmp")


def _try_lock(fd: int) -> bool:
    if fcntl is None:  # pragma: no cover - Windows: everything looks alive
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _remove_if_stale(name: str) -> bool:
    """Remove ``name`` if no live writer holds it; True if it is gone (or was never there)."""
    try:
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return True
    try:
        if not _try_lock(fd) or not _same_file(fd, name):
            return False
        if os.path.isdir(name):
            shutil.rmtree(name, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)
        return not os.path.lexists(name)
    finally:
        os.close(fd)


def _same_file(fd: int, name: str) -> bool:
    """Whether ``name`` is still the file open as ``fd`` (another writer may have removed it
    and made a new one of the same name since it was opened)."""
    try:
        st = os.stat(name)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (st.st_ino, st.st_dev) == (mine.st_ino, mine.st_dev)


def open_temporary(path: str) -> tuple[int, str]:
    """A new temporary of the local ``path``, created and locked: ``(fd, name)``. Stale
    temporaries of ``path`` in the slots it passes and the few after are removed."""
    slot = 0
    while True:
        name = slot_name(path, slot)
        try:
            fd = os.open(name, _CREATE, 0o666)
        except FileExistsError:
            if not _remove_if_stale(name):
                slot += 1  # a live writer's
            continue
        # Between the create and the lock, a writer that found the name stale may have removed
        # it and made its own: the lock must be on the file the name refers to.
        if (_try_lock(fd) or fcntl is None) and _same_file(fd, name):
            break
        os.close(fd)
        slot += 1
    _remove_stale_after(path, slot)
    return fd, name


def _remove_stale_after(path: str, slot: int) -> None:
    missing = 0
    while missing <= _PROBE_AFTER_GAP:
        slot += 1
        name = slot_name(path, slot)
        if not os.path.lexists(name):
            missing += 1
        else:
            missing = 0
            _remove_if_stale(name)


@contextmanager
def staging_folder(parent: str, prefix: str) -> Iterator[str]:
    """A fresh folder ``{parent}/{prefix}...``, locked while the block runs and removed after
    it; stale folders of the same prefix there (their makers died) are removed first. The
    prefix starts with ``gokart-``, so that ``gokart-core clean`` finds the folder too."""
    if not prefix.startswith(STAGING_PREFIX):
        raise ValueError(f"a staging folder's prefix starts with {STAGING_PREFIX!r}: {prefix!r}")
    os.makedirs(parent, exist_ok=True)
    remove_stale_folders(parent, prefix)
    folder, fd = _make_locked_folder(parent, prefix)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        os.close(fd)


def _make_locked_folder(parent: str, prefix: str) -> tuple[str, int]:
    """A new folder and its locked descriptor. Between ``mkdtemp`` and the lock, another
    writer's clean-up may take the unlocked folder for stale and remove it: then (its lock
    taken by that writer, or the name gone) this one makes another."""
    while True:
        folder = tempfile.mkdtemp(prefix=prefix, dir=parent)
        try:
            fd = os.open(folder, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            continue
        if (_try_lock(fd) or fcntl is None) and _same_file(fd, folder):
            return folder, fd
        os.close(fd)


def remove_stale_folders(parent: str, prefix: str) -> list[str]:
    """Remove the folders ``{parent}/{prefix}*`` whose makers are gone; the removed ones."""
    removed = []
    with contextlib.suppress(FileNotFoundError), os.scandir(parent) as entries:
        for entry in entries:
            mine = entry.name.startswith(prefix) and entry.is_dir(follow_symlinks=False)
            if mine and _remove_if_stale(entry.path):
                removed.append(entry.path)
    return removed


def is_stale(name: str) -> bool:
    """Whether the local temporary ``name`` is left by a writer that is gone (its lock is
    free). Asked by ``gokart-core clean``; the answer may change the next moment."""
    try:
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return False
    try:
        return _try_lock(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Leftover:
    """Something a writer that died left behind, and how to remove it."""

    #: The path or URL, and what it is when that is not plain (``... (incomplete upload)``).
    where: str
    #: Its size in bytes, when known.
    size: int | None
    remove: Callable[[], None]


def find_temporaries(fs: AbstractFileSystem, path: str, older_than: float) -> list[Leftover]:
    """Core's temporaries under ``path`` whose writers are gone: by their lock on local disk,
    else (and for names of earlier versions) unchanged for ``older_than`` seconds."""
    from fsspec.implementations.local import LocalFileSystem

    local = isinstance(fs, LocalFileSystem)
    found = []
    try:
        files: dict[str, dict[str, Any]] = fs.find(path, detail=True)
    except FileNotFoundError:
        return []
    for name, info in sorted(files.items()):
        match = _TEMPORARY.match(posixpath.basename(name))
        if match is None:
            continue
        if local and match.group("slot") is not None:
            stale = is_stale(name)
        else:
            stale = _age(fs, name) >= older_than
        if stale:
            found.append(Leftover(name, info.get("size"), _remover(fs, name, local)))
    return found


def find_staging_folders(parent: str) -> list[Leftover]:
    """The staging folders under the local folder ``parent`` whose makers are gone."""
    found = []
    with contextlib.suppress(FileNotFoundError), os.scandir(parent) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            mine = entry.name.startswith(STAGING_PREFIX) and entry.is_dir(follow_symlinks=False)
            if mine and is_stale(entry.path):
                size = sum(f.stat().st_size for f in _files_below(entry.path))
                found.append(Leftover(entry.path, size, _remover(None, entry.path, True)))
    return found


def _files_below(folder: str) -> Iterator[os.DirEntry[str]]:
    for entry in os.scandir(folder):
        if entry.is_dir(follow_symlinks=False):
            yield from _files_below(entry.path)
        elif entry.is_file(follow_symlinks=False):
            yield entry


def _age(fs: AbstractFileSystem, name: str) -> float:
    """Seconds since ``name`` last changed; 0 (never stale) when the filesystem cannot say."""
    try:
        modified = fs.modified(name)
    except (NotImplementedError, OSError, KeyError, ValueError):
        return 0.0
    if modified.tzinfo is None:
        modified = modified.astimezone()  # fsspec gives local files a naive local time
    return float((dt.datetime.now(dt.timezone.utc) - modified).total_seconds())


def _remover(fs: AbstractFileSystem | None, name: str, local: bool) -> Callable[[], None]:
    def remove() -> None:
        if local:
            _remove_if_stale(name)  # asked again: the answer may have changed since
        else:
            assert fs is not None
            fs.rm(name)

    return remove


__all__ = [
    "Leftover",
    "find_staging_folders",
    "find_temporaries",
    "is_stale",
    "open_temporary",
    "remove_stale_folders",
    "slot_name",
    "staging_folder",
]
