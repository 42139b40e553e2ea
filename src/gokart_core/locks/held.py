"""The locks held around a write, asked right before its output is published: a holder that
lost its lock (a lease that ran out while redis was away, a key taken by another after redis
restarted empty) publishes nothing.

A lock plugin's context manager may define ``check_held()``, which raises
:class:`~gokart_core.LockError` when the lock is no longer held. gokart-core enters the locks of
targets and runs through :func:`holding`, and every atomic write (core's own, and
:func:`~gokart_core.plugin_api.commit_on_success` of object stores) calls :func:`before_publish`
right before its rename or commit; a storage plugin with an atomic writer of its own does the
same (``plugin_api.before_publish``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")

#: The ``check_held`` of every lock held in this context, outermost first.
_checks: ContextVar[tuple[Callable[[], None], ...]] = ContextVar("gokart_held_locks", default=())


@contextmanager
def holding(lock: AbstractContextManager[T]) -> Iterator[T]:
    """Enter ``lock``; while it is held, :func:`before_publish` asks it whether it still is."""
    with lock as entered:
        check: Callable[[], None] | None = getattr(lock, "check_held", None)
        if check is None:
            yield entered
            return
        token = _checks.set((*_checks.get(), check))
        try:
            yield entered
        finally:
            _checks.reset(token)


def before_publish() -> None:
    """Raise if a lock held around this write was lost: call right before the output becomes
    visible (the rename, the commit), so that nothing is published without its lock."""
    for check in _checks.get():
        check()


__all__ = ["before_publish", "holding"]
