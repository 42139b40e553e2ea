"""luigi's scheduler, with ``get_work`` and ``count_pending`` in time that does not grow with the
graph: a subclass of ``luigi.scheduler.Scheduler`` on :class:`IndexedTaskState`.

luigi's ``get_work`` sorts every pending and running task and checks each one's dependencies on
every call; ``count_pending`` walks the worker's pending tasks and their upstream statuses. Here:

- ``get_work`` takes the worker's best schedulable task from the state's heap. luigi's own
  algorithm still runs wherever its extra rules apply, so that their outcome stays luigi's: a
  task in the state needs resources (the greedy accounting across workers), the worker batches
  a family, or the worker is an assistant (it may run any runnable task);
- ``count_pending`` reads the state's counts, unless some task is DISABLED (luigi leaves out
  the tasks upstream of it, which takes a walk);
- a prune (on every ``get_work`` of a local scheduler) looks only at the tasks it may change.

Everything else (the RPC interface, retries, disabling, pruning, persistence, the web UI's
queries) is luigi's, unchanged.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import luigi.interface
import luigi.scheduler
from luigi.task_status import DISABLED, RUNNING

from gokart_core.luigi_internals.scheduler_state import IndexedTaskState

logger = logging.getLogger("luigi.scheduler")  # luigi's own logger: its messages, its config

#: luigi's scheduler and interface are untyped: Any here. luigi's tests replace the scheduler
#: module's ``time``; its clock is read through the module, as luigi's own code does.
_scheduler_module: Any = luigi.scheduler
_interface_module: Any = luigi.interface


class Scheduler(_scheduler_module.Scheduler):  # type: ignore[misc]
    """luigi's scheduler with incremental bookkeeping (see the module docstring)."""

    _state: IndexedTaskState

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        state = IndexedTaskState(self._config.state_path)
        state._metrics_collector = self._state._metrics_collector
        self._state = state

    # ---------------------------------------------------------------- task changes

    def add_task(self, task_id: Any = None, *args: Any, **kwargs: Any) -> None:
        super().add_task(task_id, *args, **kwargs)
        task = self._state.get_task(task_id)
        if task is not None:
            self._state.refresh(task)

    def _update_priority(self, task: Any, prio: Any, worker: Any) -> None:
        before = task.priority
        super()._update_priority(task, prio, worker)  # recurses into this method for the deps
        if task.priority != before:
            self._state.touch(task)

    def _prune_tasks(self) -> None:
        # luigi's, over the tasks a prune may change rather than all of them.
        assistant_ids = {w.id for w in self._state.get_assistants()}
        looked_at = self._state.prune_candidates()
        remove_tasks = []
        for task in looked_at:
            self._state.fail_dead_worker_task(task, self._config, assistant_ids)
            self._state.update_status(task, self._config)
            if self._state.may_prune(task):
                logger.info("Removing task %r", task.id)
                remove_tasks.append(task.id)
        self._state.inactivate_tasks(remove_tasks)
        self._state.pruned(looked_at)

    # ---------------------------------------------------------------- the work

    def _luigi_rules_apply(self, worker_id: str, assistant: bool) -> bool:
        """Whether this ``get_work`` needs luigi's full algorithm (see the module docstring)."""
        worker = self._state.get_worker(worker_id)
        return bool(
            assistant
            or worker.assistant
            or self._state.uses_resources
            or self._state._task_batchers.get(worker_id)
        )

    def get_work(
        self,
        host: Any = None,
        assistant: bool = False,
        current_tasks: Any = None,
        worker: Any = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        if worker is None or self._luigi_rules_apply(worker, assistant):
            reply: dict[str, Any] = super().get_work(
                host=host, assistant=assistant, current_tasks=current_tasks, worker=worker, **kwargs
            )
            return reply
        # From here, luigi's get_work for a worker without batchers, resources or assistance.
        if self._config.prune_on_get_work:
            self.prune()
        worker_id = worker
        worker_obj = self._update_worker(worker_id, worker_reference={"host": host}, get_work=True)
        if not worker_obj.enabled:
            return {
                "n_pending_tasks": 0,
                "running_tasks": [],
                "task_id": None,
                "n_unique_pending": 0,
                "worker_state": worker_obj.state,
            }
        best_task = None
        if current_tasks is not None:
            # A task the scheduler thinks this worker runs, which the worker does not know of.
            known = set(current_tasks)
            for task in sorted(self._state.get_active_tasks_by_status(RUNNING), key=self._rank):
                if task.worker_running == worker_id and task.id not in known:
                    best_task = task
            self._reset_orphaned_batch_running_tasks(worker_id)
        if best_task is None and not self._paused:
            best_task = self._state.best_ready(worker_id)

        reply = self.count_pending(worker_id)
        if best_task is None:
            reply["task_id"] = None
            return reply
        self.update_metrics_task_started(best_task)
        self._state.set_status(best_task, RUNNING, self._config)
        best_task.worker_running = worker_id
        best_task.resources_running = best_task.resources.copy()
        best_task.time_running = _scheduler_module.time.time()
        self._update_task_history(best_task, RUNNING, host=host)
        reply["task_id"] = best_task.id
        reply["task_family"] = best_task.family
        reply["task_module"] = getattr(best_task, "module", None)
        reply["task_params"] = best_task.params
        return reply

    def count_pending(self, worker: Any) -> dict[str, Any]:
        if self._state.get_active_task_count_for_status(DISABLED):
            counts: dict[str, Any] = super().count_pending(worker)
            return counts
        worker_id, worker_obj = worker, self._state.get_worker(worker)
        running_tasks = []
        for task in worker_obj.get_tasks(self._state, RUNNING):
            other_worker = self._state.get_worker(task.worker_running)
            if other_worker is not None:
                more_info = {"task_id": task.id, "worker": str(other_worker)}
                more_info.update(other_worker.info)
                running_tasks.append(more_info)
        pending, unique, last = self._state.pending_counts(worker_id)
        return {
            "n_pending_tasks": pending,
            "n_unique_pending": unique,
            "n_pending_last_scheduled": last,
            "worker_state": worker_obj.state,
            "running_tasks": running_tasks,
        }


class WorkerSchedulerFactory(_interface_module._WorkerSchedulerFactory):  # type: ignore[misc]
    """luigi's factory of a build's scheduler and worker, whose local scheduler is this one
    (with luigi's own settings for a local scheduler)."""

    def create_local_scheduler(self) -> Scheduler:
        return Scheduler(prune_on_get_work=True, record_task_history=False)


@contextlib.contextmanager
def as_luigi_default(factory_class: type) -> Iterator[None]:
    """Make ``factory_class`` what luigi uses when a build names no factory (the command
    line's ``luigi.interface._run`` takes none), inside the ``with`` block."""
    saved = _interface_module._WorkerSchedulerFactory
    _interface_module._WorkerSchedulerFactory = factory_class
    try:
        yield
    finally:
        _interface_module._WorkerSchedulerFactory = saved


def serve_luigid(argv: list[str], scheduler_class: type) -> None:
    """luigid (``luigi.cmdline.luigid``: its options, its HTTP API, its pages) with a scheduler
    of ``scheduler_class``: luigi's server makes its scheduler from this module-level name."""
    import luigi.cmdline
    import luigi.server  # tornado's web server: imported when serving, not by every build

    server: Any = luigi.server
    saved = server.Scheduler
    server.Scheduler = scheduler_class
    try:
        luigi.cmdline.luigid(argv)
    finally:
        server.Scheduler = saved
