"""A build's scheduler, observed: luigi's worker-scheduler factory handing out schedulers whose
``add_task`` and ``get_work`` calls are also told to the progress line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from luigi.task_status import PENDING

if TYPE_CHECKING:
    from gokart_core.runner.progress import BuildProgress


class ObservedScheduler:
    """A scheduler (local or remote) whose ``add_task`` and ``get_work`` are also reported to
    the progress line; everything else is the scheduler's own."""

    def __init__(self, inner: Any, progress: BuildProgress) -> None:
        self._inner = inner
        self._progress = progress

    def add_task(self, *args: Any, **kwargs: Any) -> Any:
        result = self._inner.add_task(*args, **kwargs)
        self._progress.on_add_task(
            kwargs.get("task_id"), kwargs.get("status", PENDING), kwargs.get("family")
        )
        return result

    def get_work(self, *args: Any, **kwargs: Any) -> Any:
        reply = self._inner.get_work(*args, **kwargs)
        self._progress.on_get_work(reply)
        return reply

    def __getattr__(self, name: str) -> Any:
        if name in ("_inner", "_progress"):  # not set yet (copying): no endless recursion
            raise AttributeError(name)
        return getattr(self._inner, name)

    def __reduce__(self) -> tuple[Any, tuple[Any]]:
        # A worker child started by pickling (the "spawn" start method) gets the plain
        # scheduler: the line is drawn by the building process only.
        return _unwrapped, (self._inner,)


def _unwrapped(scheduler: Any) -> Any:
    return scheduler


class ObservedFactory:
    """luigi's worker-scheduler factory interface, handing out observed schedulers."""

    def __init__(self, inner: Any, progress: BuildProgress) -> None:
        self._inner = inner
        self._progress = progress

    def create_local_scheduler(self) -> ObservedScheduler:
        self._progress.wrap_log_handlers()
        return ObservedScheduler(self._inner.create_local_scheduler(), self._progress)

    def create_remote_scheduler(self, url: str) -> ObservedScheduler:
        self._progress.wrap_log_handlers()
        return ObservedScheduler(self._inner.create_remote_scheduler(url), self._progress)

    def create_worker(self, scheduler: Any, worker_processes: int, assistant: bool = False) -> Any:
        return self._inner.create_worker(
            scheduler=scheduler, worker_processes=worker_processes, assistant=assistant
        )

    def __getattr__(self, name: str) -> Any:
        if name in ("_inner", "_progress"):
            raise AttributeError(name)
        return getattr(self._inner, name)
