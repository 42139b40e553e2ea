"""What a build's worker tells its scheduler, recorded per task: the report's events.

The collector is a :class:`gokart_core.runner.observe.SchedulerListener`. Its calls come from
the building process only (also with ``workers > 1``); a forked child holding a copy records
nothing. Times are the parent's clock: a task runs from the ``get_work`` that hands it out to
the ``add_task`` that reports it DONE or FAILED.
"""

from __future__ import annotations

import copy
import json
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from luigi.task_status import DONE, PENDING, RUNNING


@dataclass
class TaskRecord:
    """One task as the scheduler was told about it."""

    task_id: str
    family: str = ""
    module: str = ""
    status: str = PENDING
    #: ids of the tasks it requires (static and dynamic), as the worker reported them
    deps: list[str] = field(default_factory=list)
    #: the worker's ``to_str_params()``: every parameter, secrets too. Used only to make the
    #: task object again (``luigi.task_register.load_task``), never shown.
    str_params: dict[str, str] = field(default_factory=dict)
    started: float | None = None
    finished: float | None = None
    #: whether it ran in this build (else it was complete when scheduled: loaded from cache)
    ran: bool = False
    #: what the failure said (luigi's explanation: the traceback)
    error: str | None = None


class RunCollector:
    """Records every ``add_task`` and ``get_work`` of one build. Thread-safe; ``version``
    grows with each change, so a writer knows when there is something new to write."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self._lock = threading.Lock()
        self._records: dict[str, TaskRecord] = {}
        self.started = time.time()
        self.finished: float | None = None
        self.version = 0

    def on_scheduler(self) -> None:
        pass

    def on_add_task(self, call: Mapping[str, Any]) -> None:
        task_id = call.get("task_id")
        if not isinstance(task_id, str) or os.getpid() != self.pid:
            return
        status = str(call.get("status") or PENDING)
        now = time.time()
        with self._lock:
            record = self._records.get(task_id)
            if record is None:
                record = self._records[task_id] = TaskRecord(task_id)
            record.family = str(call.get("family") or record.family)
            record.module = str(call.get("module") or record.module)
            params = call.get("params")
            if isinstance(params, dict) and not record.str_params:
                record.str_params = {str(k): str(v) for k, v in params.items()}
            for key in ("deps", "new_deps"):
                for dep in call.get(key) or ():
                    if dep not in record.deps:
                        record.deps.append(str(dep))
            if status == RUNNING:  # a running task reporting (tracking url): no change
                return
            if record.started is not None and status != PENDING:
                record.finished = now
            if status != DONE and call.get("expl"):
                record.error = _explanation(call["expl"])
            record.status = status
            self.version += 1

    def on_get_work(self, reply: Any) -> None:
        if not isinstance(reply, dict) or os.getpid() != self.pid:
            return
        task_ids = reply.get("batch_task_ids") or [reply.get("task_id")]
        now = time.time()
        with self._lock:
            for task_id in task_ids:
                if not isinstance(task_id, str):
                    continue
                record = self._records.setdefault(task_id, TaskRecord(task_id))
                record.status = RUNNING
                record.started, record.finished, record.ran = now, None, True
                self.version += 1

    def finish(self) -> None:
        with self._lock:
            self.finished = time.time()
            self.version += 1

    def snapshot(self) -> list[TaskRecord]:
        """Copies of the records, in the order the tasks were first seen."""
        with self._lock:
            return [_copy(r) for r in self._records.values()]


def _copy(record: TaskRecord) -> TaskRecord:
    copied = copy.copy(record)
    copied.deps = list(record.deps)
    return copied


def _explanation(expl: Any) -> str:
    """luigi's worker sends a failure's explanation JSON-encoded (a str inside)."""
    text = str(expl)
    try:
        decoded = json.loads(text)
    except ValueError:
        return text
    return decoded if isinstance(decoded, str) else text
