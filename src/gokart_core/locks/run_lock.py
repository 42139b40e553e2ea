"""``RunWithLock``: hold a task's run lock around ``run()``, so that applications sharing a
workspace never run the same task at the same time.

Usable on the class (``@RunWithLock class T(TaskOnKart)``) or on ``run``; the parameter
``should_lock_run=True`` does the same without the decorator. The lock comes from the
``gokart_make_run_lock`` hook under gokart's key ``{ClassName}_{unique_id}-run``; with no lock
plugin configured it is a no-op. Once the lock is held the task checks again whether it is
complete: an application that waited for the lock finds the outputs written and does not run
again.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from gokart_core.locks.held import holding
from gokart_core.locks.keys import run_lock_key
from gokart_core.locks.settings import lock_settings
from gokart_core.plugin.manager import get_plugins

if TYPE_CHECKING:
    from gokart_core.task import TaskOnKart

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

#: Marks a class or a ``run`` function decorated with ``RunWithLock``.
_MARK = "_gokart_run_with_lock"


def RunWithLock(obj: F) -> F:  # gokart's public name, hence CamelCase
    """Decorate a TaskOnKart subclass or its ``run`` method to lock ``run()``."""
    if isinstance(obj, type):
        setattr(obj, _MARK, True)
        return obj

    @functools.wraps(obj)
    def run(self: TaskOnKart[Any]) -> Any:
        return with_run_lock(self, functools.partial(obj, self))()

    setattr(run, _MARK, True)
    return run  # type: ignore[return-value]


def run_lock_wanted(task: TaskOnKart[Any]) -> bool:
    """Whether ``__init__`` should wrap ``run``: the class is marked or ``should_lock_run`` is
    set, and ``run`` itself is not decorated already (the lock is not re-entrant)."""
    if getattr(type(task).run, _MARK, False):
        return False
    return bool(task.should_lock_run or getattr(type(task), _MARK, False))


def with_run_lock(task: TaskOnKart[Any], run: Callable[[], Any]) -> Callable[[], Any]:
    """``run`` inside the task's run lock, skipped when the task completed while waiting."""

    @functools.wraps(run)
    def locked() -> Any:
        lock = get_plugins().make_run_lock(run_lock_key(task), lock_settings(task, run=True))
        with holding(lock):
            # luigi reuses a task instance for the same parameters: each run decides anew.
            task._run_skipped = task.complete()
            if task._run_skipped:
                logger.info("%s was completed by another application; skipping run()", task)
                return None
            task._in_run_lock = True
            try:
                return run()
            finally:
                task._in_run_lock = False

    return locked
