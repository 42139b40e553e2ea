"""The report of a task drawn from its workspace, nothing run: every task of its graph once,
complete (its outputs are there: the page's "loaded from cache") or pending, with the
processing time and ``task_log`` its last run logged (:mod:`gokart_core.task.logs`), its
outputs and their sizes.

The graph is walked with an explicit stack (no recursion limit), asking ``complete()`` once
per task inside an existence-cache scope; logs are read for complete tasks only (a pending
task's logs belong to outputs that are gone).
"""

from __future__ import annotations

import time
from typing import Any

import luigi
from luigi.task_status import DONE, PENDING

from gokart_core.report import describe, page
from gokart_core.report.collect import TaskRecord
from gokart_core.report.model import TaskEntry, page_data
from gokart_core.target.existence import existence_cache


def workspace_entries(root: luigi.Task) -> list[TaskEntry]:
    """Every task of ``root``'s graph, root first, as the page's entries."""
    entries: dict[str, TaskEntry] = {}
    pending = [root]
    while pending:
        task = pending.pop()
        if task.task_id in entries:
            continue
        deps = list(task.deps())
        complete = bool(task.complete())
        record = TaskRecord(
            task.task_id,
            family=task.get_task_family(),
            module=task.task_module,
            status=DONE if complete else PENDING,
            deps=[d.task_id for d in deps],
        )
        entry = TaskEntry(record)
        found = describe.details(task, sizes=complete)
        entry.unique_id, entry.params, entry.outputs = (
            found["unique_id"],
            found["params"],
            found["outputs"],
        )
        if complete:
            entry.processing_time, entry.task_log = describe.logged(task)
        entries[task.task_id] = entry
        pending.extend(reversed(deps))
    return list(entries.values())


def workspace_page(root: luigi.Task) -> dict[str, Any]:
    """The page data of ``root`` drawn from its workspace."""
    with existence_cache.scope():
        entries = workspace_entries(root)
    return page_data(
        entries,
        title=describe.title([root]),
        started=None,
        finished=time.time(),
        source="workspace",
    )


def write_workspace_report(
    root: luigi.Task, url: str, storage_options: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Write the report of ``root`` drawn from its workspace to ``url``; returns its data."""
    data = workspace_page(root)
    page.write(url, page.render(data), storage_options)
    return data
