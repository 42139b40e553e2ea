"""What a forked child must not inherit from its parent, solved once for every plugin.

luigi's ``workers=N`` forks one child process per task. Whatever the parent opened (an fsspec
filesystem with its event loop and thread, an HTTP or redis connection pool, a lock held by a
thread that does not exist in the child) must never be used by the child: fsspec raises
``This class is not fork-safe`` for its async filesystems, a shared socket interleaves two
processes' requests, and a lock held at the fork never gets released in the child.

Here:

- :func:`generation` counts the forks this process descends from (0 in the process that
  imported gokart-core first); a holder of process-bound state records the generation it made
  the state in, and makes it again when the generation has changed. An integer compare is
  cheaper than ``os.getpid()`` (a system call) on the paths that check it for every file.
- :func:`at_fork_in_child` registers a callback run in every forked child, for state that is
  easier to reset than to check (locks, caches of process-bound objects).
- :func:`own_filesystem` is the filesystem check of :meth:`Plugins.filesystem
  <gokart_core.plugin.manager.Plugins.filesystem>`: a filesystem that a plugin made in the parent
  and kept (a module-level instance, a cache of its own) is replaced by an equal one made in
  this process, so that no storage plugin, third-party ones included, needs to care.
- :func:`filesystem_key` identifies a filesystem by its class and arguments, the same in the
  parent and in the child, so that what the parent's existence cache knows stays usable in the
  child (a file that existed still exists) and the parent's cache is left as it was.
- :func:`in_task_process` tells whether this process is one of luigi's forked task processes.
- Around every fork, the garbage collector's objects are frozen (``gc.freeze``), and unfrozen
  again in the parent right after: a child never walks the objects it inherited. Each
  collection in a child would otherwise write to every inherited object's header and so copy
  the parent's whole heap, page by page (copy-on-write): on a build with s3fs and numpy
  loaded, that halved the CPU time of a forked task. A process that froze objects itself is
  left to its own freezing.

The parent's own state is never touched: only the child resets anything, after the fork.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

_generation = 0


def generation() -> int:
    """How many forks this process descends from: state made in an earlier generation belongs
    to an ancestor process and must be made again before use."""
    return _generation


def at_fork_in_child(callback: Callable[[], None]) -> None:
    """Call ``callback`` in every child forked from now on, right after the fork (before any
    other code of the child runs). It must not fail: it runs where nobody can catch."""
    os.register_at_fork(after_in_child=callback)


def _next_generation() -> None:
    global _generation
    _generation += 1


at_fork_in_child(_next_generation)

_froze_for_fork = False


def _freeze_before_fork() -> None:
    global _froze_for_fork
    _froze_for_fork = gc.get_freeze_count() == 0  # else the process manages its own freezing
    if _froze_for_fork:
        gc.freeze()


def _unfreeze_in_parent() -> None:
    if _froze_for_fork:
        gc.unfreeze()


os.register_at_fork(before=_freeze_before_fork, after_in_parent=_unfreeze_in_parent)


def in_task_process() -> bool:
    """Whether this process is one of luigi's task processes (``workers>1`` or
    ``[worker] force_multiprocessing``): a child forked for one task, gone when it is done."""
    import luigi.worker  # imported by then: luigi's worker is what forked this process

    return isinstance(multiprocessing.current_process(), luigi.worker.TaskProcess)


class _Seen:
    """A filesystem instance as this module saw it: in which generation, under which key."""

    __slots__ = ("generation", "key", "ref", "replacement")

    def __init__(self, fs: AbstractFileSystem, key: Any) -> None:
        self.ref = weakref.ref(fs)
        self.key = key
        #: The equal filesystem made in a later generation, for a plugin that keeps answering
        #: with this one (fsspec's cache would give the same one back, but not every class
        #: is cachable).
        self.replacement: AbstractFileSystem | None = None
        # Seen first here, it may still have been made by an ancestor and kept by a plugin
        # without ever reaching core there: fsspec's async filesystems record the process
        # that made them (the attribute its own fork check reads).
        made_in = getattr(fs, "_pid", None)
        self.generation = _generation if made_in in (None, os.getpid()) else -1


#: id(fs) -> what was seen of it; weak, so a filesystem dropped by everyone is not kept alive.
_seen: dict[int, _Seen] = {}
_seen_lock = threading.Lock()


def _reset_seen_lock() -> None:
    global _seen_lock
    _seen_lock = threading.Lock()  # the parent's may have been held by one of its threads


at_fork_in_child(_reset_seen_lock)


def _record(fs: AbstractFileSystem) -> _Seen:
    seen = _seen.get(id(fs))
    if seen is not None and seen.ref() is fs:
        return seen
    # First sight (or an id reused after its filesystem was collected).
    seen = _Seen(fs, _stable_key(fs))
    with _seen_lock:
        _seen[id(fs)] = seen
        if len(_seen) > 1024:  # forget the collected ones now and then
            for ident in [i for i, s in _seen.items() if s.ref() is None]:
                del _seen[ident]
    return seen


def _stable_key(fs: AbstractFileSystem) -> Any:
    """The class and arguments of ``fs``: equal for equal filesystems in any process (fsspec's
    own token includes the process id)."""
    from fsspec.utils import tokenize

    args = getattr(fs, "storage_args", ())
    options = getattr(fs, "storage_options", {})
    return (type(fs), tokenize(type(fs).__module__, type(fs).__qualname__, args, options))


def filesystem_key(fs: AbstractFileSystem) -> Any:
    """A hashable identity of ``fs`` that is the same in a forked child as in its parent."""
    return _record(fs).key


def own_filesystem(fs: AbstractFileSystem) -> AbstractFileSystem:
    """``fs``, or an equal filesystem made in this process when ``fs`` was made by an ancestor
    (seen in an earlier generation): its loop, threads and connections are not this process's.

    The copy is made as fsspec unpickles a filesystem, from its class and the arguments it was
    made with (``storage_args``, ``storage_options``); fsspec's instance cache, which it empties
    in a forked child, then keeps one copy per process.
    """
    seen = _record(fs)
    if seen.generation == _generation:
        return fs
    fresh = seen.replacement
    if fresh is None or _record(fresh).generation != _generation:
        fresh = seen.replacement = type(fs)(
            *getattr(fs, "storage_args", ()), **getattr(fs, "storage_options", {})
        )
        _record(fresh)
    return fresh


__all__ = [
    "at_fork_in_child",
    "filesystem_key",
    "generation",
    "in_task_process",
    "own_filesystem",
]
