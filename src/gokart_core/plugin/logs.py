"""Core's supplementary log files (``log/task_params/``, ...) as a builtin plugin of the
lifecycle hooks: what a task's life writes, core writes through its own hooks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gokart_core.plugin.markers import hookimpl
from gokart_core.task import logs as supplementary_logs

if TYPE_CHECKING:
    from gokart_core.task import TaskOnKart


@hookimpl
def gokart_before_run(task: TaskOnKart[Any]) -> None:
    # Before run(): a failed run can be restored from its parameters. See supplementary_logs
    # for why a run that turns out to be skipped writes these too.
    if task.should_dump_supplementary_log_files:
        supplementary_logs.dump_start_logs(task)


@hookimpl
def gokart_after_run(task: TaskOnKart[Any]) -> None:
    # A run skipped because another worker wrote the outputs leaves that worker's logs alone.
    if task.should_dump_supplementary_log_files and not task._run_skipped:
        supplementary_logs.dump_success_logs(task, task._processing_time)


@hookimpl
def gokart_on_failure(task: TaskOnKart[Any], exception: BaseException) -> None:
    supplementary_logs.log_failure(task)
