"""What a finished ``luigi.build`` says, for :func:`gokart_core.runner.build.build`: success,
a graph shared with other worker processes, failures that are only other applications' locks,
and the message of a failed build."""

from __future__ import annotations

import random
from typing import Any

import luigi.execution_summary

from gokart_core import luigi_internals
from gokart_core.errors import TaskLockException

SUCCESS = {
    luigi.execution_summary.LuigiStatusCode.SUCCESS,
    luigi.execution_summary.LuigiStatusCode.SUCCESS_WITH_RETRY,
}


def succeeded(result: luigi.execution_summary.LuigiRunResult) -> bool:
    return result.status in SUCCESS and result.scheduling_succeeded


def shared_graph(
    result: luigi.execution_summary.LuigiRunResult, raised: dict[str, list[BaseException]]
) -> bool:
    """Whether luigi says only that some tasks were "not granted run permission": what it
    calls the tasks that other worker processes of a shared scheduler (luigid) ran or run."""
    not_run = luigi.execution_summary.LuigiStatusCode.NOT_RUN
    return result.status == not_run and not raised


def run_by_others(result: luigi.execution_summary.LuigiRunResult) -> bool:
    """Whether other worker processes were running tasks of this build when it ended (luigi
    counts those as successful, and the tasks that need them too)."""
    return bool(luigi_internals.summary_of(result.worker).get("run_by_other_worker"))


def only_lock_failures(raised: dict[str, list[BaseException]]) -> bool:
    return bool(raised) and all(
        isinstance(e, TaskLockException) for errors in raised.values() for e in errors
    )


def lock_retry_wait(attempt: int) -> float:
    # Exponential backoff with jitter, so that waiting applications do not retry in step.
    return float(min(0.5 * 2 ** (attempt - 1), 10.0) * random.uniform(0.5, 1.0))


def failure_message(result: Any, raised: dict[str, list[BaseException]]) -> str:
    lines = [f"build did not finish: {result.one_line_summary.strip()}"]
    for task_id, errors in raised.items():
        lines.append(f"  {task_id}: {type(errors[-1]).__name__}: {errors[-1]}")
    if not raised:
        # Failures in worker child processes (workers>1) are known only by task id.
        summary = luigi_internals.summary_of(result.worker)
        for key in ("failed", "scheduling_error"):
            lines.extend(f"  {t.task_id}: {key.replace('_', ' ')}" for t in summary.get(key, ()))
    lines.append(result.summary_text)
    return "\n".join(lines)
