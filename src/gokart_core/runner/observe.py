"""A build's scheduler, observed: luigi's worker-scheduler factory handing out schedulers whose
``add_task`` and ``get_work`` calls are also told to listeners (the progress line, the run
report).

The worker's calls to the scheduler always come from the building process, also with
``workers > 1`` (tasks then run in forked children, but report back to the parent): observing
them sees every status change of every task, at no ``complete()`` call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from gokart_core import luigi_internals


class SchedulerListener(Protocol):
    """What a listener is told; each call happens in the building process, in the worker's
    thread, so it must be quick (record, never write a file)."""

    def on_scheduler(self) -> None:
        """luigi asked for a scheduler: it has set up its logging, the build starts."""

    def on_add_task(self, call: Mapping[str, Any]) -> None:
        """The keyword arguments of one ``add_task`` (``task_id``, ``status``, ``family``,
        ``module``, ``deps``, ``expl``, ...)."""

    def on_get_work(self, reply: Any) -> None:
        """The scheduler's answer to ``get_work``: the task (or batch) that starts running."""


class ObservedScheduler:
    """A scheduler (local or remote) whose ``add_task`` and ``get_work`` are also reported to
    the listeners; everything else is the scheduler's own."""

    def __init__(self, inner: Any, listeners: Iterable[SchedulerListener]) -> None:
        self._inner = inner
        self._listeners = tuple(listeners)

    def add_task(self, *args: Any, **kwargs: Any) -> Any:
        result = self._inner.add_task(*args, **kwargs)
        for listener in self._listeners:
            listener.on_add_task(kwargs)
        return result

    def get_work(self, *args: Any, **kwargs: Any) -> Any:
        reply = self._inner.get_work(*args, **kwargs)
        for listener in self._listeners:
            listener.on_get_work(reply)
        return reply

    def __getattr__(self, name: str) -> Any:
        if name in ("_inner", "_listeners"):  # not set yet (copying): no endless recursion
            raise AttributeError(name)
        return getattr(self._inner, name)

    def __reduce__(self) -> tuple[Any, tuple[Any]]:
        # A worker child started by pickling (the "spawn" start method) gets the plain
        # scheduler: the listeners live in the building process only.
        return _unwrapped, (self._inner,)


def _unwrapped(scheduler: Any) -> Any:
    return scheduler


class ObservedFactory:
    """luigi's worker-scheduler factory interface, handing out observed schedulers."""

    def __init__(self, inner: Any, listeners: Iterable[SchedulerListener]) -> None:
        self._inner = inner
        self._listeners = tuple(listeners)

    def _started(self) -> None:
        for listener in self._listeners:
            listener.on_scheduler()

    def create_local_scheduler(self) -> ObservedScheduler:
        self._started()
        return ObservedScheduler(self._inner.create_local_scheduler(), self._listeners)

    def create_remote_scheduler(self, url: str) -> ObservedScheduler:
        self._started()
        return ObservedScheduler(self._inner.create_remote_scheduler(url), self._listeners)

    def create_worker(self, scheduler: Any, worker_processes: int, assistant: bool = False) -> Any:
        return self._inner.create_worker(
            scheduler=scheduler, worker_processes=worker_processes, assistant=assistant
        )

    def __getattr__(self, name: str) -> Any:
        if name in ("_inner", "_listeners"):
            raise AttributeError(name)
        return getattr(self._inner, name)


def observed(factory: Any | None, listeners: Iterable[SchedulerListener]) -> Any:
    """``factory`` (``None``: luigi's default one) observed by ``listeners``; ``factory``
    itself when there are none."""
    found = tuple(listeners)
    if not found:
        return factory
    return ObservedFactory(factory or luigi_internals.default_worker_scheduler_factory(), found)
