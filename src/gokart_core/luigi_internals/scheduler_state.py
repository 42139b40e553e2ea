"""luigi's scheduler state with indexes kept up to date on every change, so that the scheduler
can answer ``get_work`` and ``count_pending`` without walking the whole graph.

luigi's ``SimpleTaskState`` keeps the tasks by status; its ``Scheduler`` finds work by sorting
every pending and running task on each ``get_work`` call and checking each one's dependencies,
then counts a worker's pending tasks by walking them again: a cost that grows with the graph on
every call, quadratic over a build. This subclass keeps, beside luigi's own structures:

- per task, how many of its dependencies are not DONE (a missing one counts as not DONE, as in
  luigi's ``_schedulable``), and per task id the tasks that depend on it;
- per worker, a heap of its schedulable tasks by luigi's rank (priority, then the oldest first,
  then the order in which the tasks became PENDING, which is how luigi's stable sort breaks
  ties); entries go stale instead of being removed and are dropped when they reach the top;
- per worker, the counts ``count_pending`` reports (pending or failed tasks that list the
  worker; those it is the only worker of; those it was the last to add).

Every status change goes through ``set_status``, every new task through ``get_task`` with a
default, removals through ``inactivate_tasks`` and ``_remove_workers_from_tasks``: the hooks
here. What ``add_task`` changes in place (dependencies, workers, resources, priority) the
scheduler reports with :meth:`IndexedTaskState.refresh`.
"""

from __future__ import annotations

import heapq
import itertools
from collections import Counter, defaultdict
from typing import Any

import luigi.scheduler
from luigi.task_status import BATCH_RUNNING, DISABLED, DONE, FAILED, PENDING, RUNNING

#: A heap entry: (-priority, time added, pending sequence, task id, priority).
_Entry = tuple[Any, float, int, str, Any]

#: luigi's scheduler is untyped: its classes are Any here.
_SimpleTaskState: Any = luigi.scheduler.SimpleTaskState


class IndexedTaskState(_SimpleTaskState):  # type: ignore[misc]
    """``SimpleTaskState`` plus the indexes of the module docstring."""

    #: Tasks for the next prune beyond the FAILED, DISABLED and running ones.
    _watched: set[str]

    def __init__(self, state_path: str) -> None:
        super().__init__(state_path)
        self._reindex()

    # ----------------------------------------------------------------- luigi's hooks

    def set_state(self, state: Any) -> None:
        super().set_state(state)
        self._reindex()

    def load(self) -> None:
        super().load()
        self._reindex()

    def get_task(self, task_id: str, default: Any = None, setdefault: Any = None) -> Any:
        if setdefault is not None and task_id not in self._tasks:
            task = super().get_task(task_id, default, setdefault)
            self._add(task)
            return task
        return super().get_task(task_id, default, setdefault)

    def set_status(self, task: Any, new_status: str, config: Any = None) -> None:
        old = task.status
        super().set_status(task, new_status, config)
        if task.status != old and self._tasks.get(task.id) is task:
            self._status_changed(task, old)

    def inactivate_tasks(self, delete_tasks: Any) -> None:
        for task_id in delete_tasks:
            task = self._tasks.get(task_id)
            if task is not None:
                self._remove(task)
        super().inactivate_tasks(delete_tasks)

    def _remove_workers_from_tasks(self, workers: Any, remove_stakeholders: bool = True) -> None:
        if not workers:
            return  # luigi's prune calls this with no workers, every time: a walk for nothing
        super()._remove_workers_from_tasks(workers, remove_stakeholders)
        for task in self._tasks.values():
            self._count(task)
        self._prune_all = True  # tasks may have lost their last stakeholder

    def prune_candidates(self) -> list[Any]:
        """The tasks a prune may change: luigi's prune looks at every task, but only acts on
        FAILED, DISABLED and running ones, on those marked for removal and on those without
        stakeholders (new ones, or after workers left: then every task is looked at)."""
        if self._prune_all:
            self._prune_all = False
            return list(self._tasks.values())
        found = {
            task.id: task
            for task in self.get_active_tasks_by_status(FAILED, DISABLED, RUNNING, BATCH_RUNNING)
        }
        for task_id in self._watched:
            task = self._tasks.get(task_id)
            if task is not None:
                found[task_id] = task
        return list(found.values())

    def pruned(self, looked_at: list[Any]) -> None:
        """Keep watching the tasks of a prune that still may be removed later."""
        self._watched = {
            task.id
            for task in looked_at
            if self._tasks.get(task.id) is task
            and (task.remove is not None or not task.stakeholders)
        }

    # ---------------------------------------------------------------- the indexes

    def refresh(self, task: Any) -> None:
        """Take in what ``add_task`` changed in place: dependencies, workers, resources."""
        if self._tasks.get(task.id) is not task:
            return
        deps = frozenset(task.deps)
        seen = self._deps_seen.get(task.id, frozenset())
        if deps != seen:
            for dep in seen - deps:
                self._dependents[dep].discard(task.id)
                self._blocking[task.id] -= not self._is_done(dep)
            for dep in deps - seen:
                self._dependents[dep].add(task.id)
                self._blocking[task.id] += not self._is_done(dep)
            self._deps_seen[task.id] = deps
        self._set_resources(task)
        self._count(task)
        if task.remove is not None or not task.stakeholders:
            self._watched.add(task.id)
        self.touch(task)

    def touch(self, task: Any) -> None:
        """Offer ``task`` to each of its workers if it is schedulable now."""
        if task.status != PENDING or self._blocking.get(task.id) != 0:
            return
        entry = (-task.priority, task.time, self._pending_seq[task.id], task.id, task.priority)
        for worker_id in task.workers:
            heapq.heappush(self._ready[worker_id], entry)

    def best_ready(self, worker_id: str) -> Any:
        """The worker's schedulable task of the highest rank, or None."""
        heap = self._ready.get(worker_id)
        while heap:
            _, _, seq, task_id, priority = heap[0]
            task = self._tasks.get(task_id)
            if (
                task is not None
                and task.status == PENDING
                and self._blocking.get(task_id) == 0
                and task.priority == priority
                and self._pending_seq.get(task_id) == seq
                and worker_id in task.workers
            ):
                return task
            heapq.heappop(heap)
        return None

    def pending_counts(self, worker_id: str) -> tuple[int, int, int]:
        """(pending or failed, of those the ones with only this worker, the ones this worker
        added last) over the tasks that list ``worker_id`` among their workers."""
        return self._pending[worker_id], self._unique[worker_id], self._last[worker_id]

    @property
    def uses_resources(self) -> bool:
        """Whether any task in the state needs resources (luigi's greedy accounting applies)."""
        return bool(self._with_resources)

    def _reindex(self) -> None:
        self._blocking: dict[str, int] = {}
        self._dependents: defaultdict[str, set[str]] = defaultdict(set)
        self._deps_seen: dict[str, frozenset[str]] = {}
        self._ready: defaultdict[str, list[_Entry]] = defaultdict(list)
        self._pending_seq: dict[str, int] = {}
        self._sequence = itertools.count()
        self._counted: dict[str, tuple[bool, tuple[str, ...]]] = {}
        self._pending: Counter[str] = Counter()
        self._unique: Counter[str] = Counter()
        self._last: Counter[str] = Counter()
        self._with_resources: set[str] = set()
        self._watched = set()
        self._prune_all = True
        for task in list(self._tasks.values()):
            self._add(task, reindexing=True)
        for task in self._tasks.values():
            self.touch(task)

    def _is_done(self, task_id: str) -> bool:
        task = self._tasks.get(task_id)
        return task is not None and task.status == DONE

    def _add(self, task: Any, reindexing: bool = False) -> None:
        """Index a task just put in ``_tasks``. Its dependents counted it as not DONE while it
        was missing; when the whole state is indexed at once, they see its status directly."""
        deps = frozenset(task.deps)
        self._deps_seen[task.id] = deps
        for dep in deps:
            self._dependents[dep].add(task.id)
        self._blocking[task.id] = sum(not self._is_done(dep) for dep in deps)
        self._pending_seq[task.id] = next(self._sequence)
        if task.status == DONE and not reindexing:
            self._unblock(task.id, -1)
        self._set_resources(task)
        self._count(task)
        self._watched.add(task.id)  # no stakeholders yet

    def _remove(self, task: Any) -> None:
        if task.status == DONE:
            self._unblock(task.id, +1)  # a dependency that is gone is not DONE for luigi
        for dep in self._deps_seen.pop(task.id, frozenset()):
            self._dependents[dep].discard(task.id)
        self._blocking.pop(task.id, None)
        self._pending_seq.pop(task.id, None)
        self._with_resources.discard(task.id)
        self._watched.discard(task.id)
        self._uncount(task.id)

    def _status_changed(self, task: Any, old: str) -> None:
        if (old == DONE) != (task.status == DONE):
            self._unblock(task.id, -1 if task.status == DONE else +1)
        if task.status == PENDING:
            self._pending_seq[task.id] = next(self._sequence)  # luigi's dict order: at the end
        self._count(task)
        self.touch(task)

    def _unblock(self, task_id: str, delta: int) -> None:
        """Add ``delta`` to the blocking count of the tasks that depend on ``task_id``."""
        for dependent in self._dependents.get(task_id, ()):
            if dependent in self._blocking:
                self._blocking[dependent] += delta
                if self._blocking[dependent] == 0:
                    self.touch(self._tasks[dependent])

    def _set_resources(self, task: Any) -> None:
        if task.resources:
            self._with_resources.add(task.id)
        else:
            self._with_resources.discard(task.id)

    def _count(self, task: Any) -> None:
        counted = (task.status in (PENDING, FAILED), tuple(task.workers))
        if self._counted.get(task.id) == counted:
            return
        self._uncount(task.id)
        self._counted[task.id] = counted
        self._tally(counted, +1)

    def _uncount(self, task_id: str) -> None:
        counted = self._counted.pop(task_id, None)
        if counted is not None:
            self._tally(counted, -1)

    def _tally(self, counted: tuple[bool, tuple[str, ...]], delta: int) -> None:
        pending, workers = counted
        if not pending or not workers:
            return
        for worker_id in workers:
            self._pending[worker_id] += delta
        if len(workers) == 1:
            self._unique[workers[0]] += delta
        self._last[workers[-1]] += delta
