"""When a TaskOnKart is complete, and running only what is not."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import luigi
import luigi.task

if TYPE_CHECKING:
    from gokart_core.task.task import TaskOnKart

logger = logging.getLogger(__name__)


def complete(task: TaskOnKart[Any]) -> bool:
    """Every output exists (once ``rerun`` has removed them); with ``strict_check`` or
    ``modification_time_check`` every requirement is complete too, and with the latter no input
    is newer than the oldest output."""
    if task._rerun_state:
        for target in luigi.task.flatten(task.output()):
            target.remove()
        task._rerun_state = False
        return False
    outputs = luigi.task.flatten(task.output())
    if not all(t.exists() for t in outputs):
        return False
    if not (task.strict_check or task.modification_time_check):
        return True
    if not all(t.complete() for t in luigi.task.flatten(task.requires())):
        return False
    inputs = luigi.task.flatten(task.input())
    if not all(t.exists() for t in inputs):
        return False
    if not task.modification_time_check or not inputs:
        return True
    return _inputs_not_newer(inputs, outputs)


def _inputs_not_newer(inputs: list[Any], outputs: list[Any]) -> bool:
    # A task may use an input as its output too: such paths do not count on either side.
    shared = {t.path() for t in inputs} & {t.path() for t in outputs}
    ins = [t for t in inputs if t.path() not in shared]
    outs = [t for t in outputs if t.path() not in shared]
    if not ins or not outs:
        return True
    newest_input = max(t.last_modification_time() for t in ins)
    oldest_output = min(t.last_modification_time() for t in outs)
    return bool(newest_input <= oldest_output)


def skip_if_complete(task: TaskOnKart[Any], run: Callable[[], Any]) -> Callable[[], Any]:
    """``run``, skipped when the outputs appeared since scheduling (another worker)."""

    @functools.wraps(run)
    def wrapper() -> Any:
        # luigi reuses a task instance for the same parameters: each run decides anew.
        task._run_skipped = task.complete()
        if task._run_skipped:
            logger.info("%s is already complete; skipping run()", task)
            return None
        return run()

    return wrapper
