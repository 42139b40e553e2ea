"""What a finished build did, for the ``gokart_build_finished`` hook: :class:`BuildSummary`.

Collected in the building process after luigi returns, from what luigi's worker recorded there
(its summary of the tasks by status) and from the scheduler (each failure's explanation, the
traceback the task's process sent it): complete with ``workers>1`` too, where tasks run in
forked children. Nothing is collected when no plugin implements the hook, and each task is
described (its parameters, unique id, error) only when an implementation reads
``summary.tasks``: the statuses alone are collected at once. The data: :mod:`.summary_data`.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
import traceback
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from luigi.cmdline_parser import CmdlineParser

from gokart_core import luigi_internals
from gokart_core.plugin.manager import get_plugins
from gokart_core.runner.summary_data import STATUSES, BuildSummary, TaskSummaries, TaskSummary

logger = logging.getLogger(__name__)


def listening() -> bool:
    """Whether any plugin implements ``gokart_build_finished``: else nothing is collected."""
    return bool(get_plugins().pm.hook.gokart_build_finished.get_hookimpls())


def exception_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()


def error_of(trace: str) -> str:
    """The exception part of a printed traceback: what follows its last stack frame."""
    lines = trace.strip().splitlines()
    frames = [i for i, line in enumerate(lines) if line.startswith('  File "')]
    start = frames[-1] + 1 if frames else 0
    while frames and start < len(lines) and lines[start].startswith("    "):
        start += 1  # the frame's source line and its carets
    return "\n".join(lines[start:]).strip() or (lines[-1].strip() if lines else "")


def _explanation(scheduler: Any, task_id: str) -> str:
    """The traceback the scheduler was sent for ``task_id`` ("" when it has none)."""
    try:
        raw = scheduler.fetch_error(task_id).get("error") or ""
    except Exception as exc:  # a scheduler that went away: the summary goes without
        logger.debug("no explanation of %s from the scheduler: %s", task_id, exc)
        return ""
    try:
        text = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        text = raw
    return text if isinstance(text, str) else ("" if text is None else str(text))


def _task_summary(
    task: Any, status: str, scheduler: Any, raised: Mapping[str, Sequence[BaseException]]
) -> TaskSummary:
    error = trace = ""
    if status == "failed":
        trace = _explanation(scheduler, task.task_id)
        errors = raised.get(task.task_id)
        error = exception_text(errors[-1]) if errors else error_of(trace)
    try:  # public only: a summary is posted to chat rooms (luigi's task ids omit the rest too)
        params = dict(task.to_str_params(only_significant=True, only_public=True))
    except Exception as exc:  # a value its parameter cannot serialize
        logger.debug("no parameters of %s in the summary: %s", task.task_id, exc)
        params = {}
    make_unique_id = getattr(task, "make_unique_id", None)
    try:  # calls requires(), which may be what failed (a scheduling error)
        unique_id = make_unique_id() if callable(make_unique_id) else None
    except Exception as exc:
        logger.debug("no unique id of %s in the summary: %s", task.task_id, exc)
        unique_id = None
    return TaskSummary(
        task_id=task.task_id,
        family=task.get_task_family(),
        name=type(task).__name__,
        params=MappingProxyType(params),
        status=status,
        unique_id=unique_id,
        error=error,
        traceback=trace,
    )


def collect(
    worker: Any,
    roots: Sequence[Any] | None,
    raised: Mapping[str, Sequence[BaseException]],
    started: float,
    previous: BuildSummary | None = None,
) -> BuildSummary | None:
    """The summary of the build ``worker`` (of a finished ``luigi.build``) ran, or None when no
    plugin listens. ``roots``: the root tasks (None: the worker's first, the command line's).
    ``previous``: the same build's earlier attempt (``build()`` tries again after lock
    failures), whose tasks keep what they did then unless this attempt did more.

    Never raises: a summary that cannot be collected is a warning, and the build's own result
    (its exception, its exit code) stands."""
    if not listening():
        return None
    try:
        return _collect(worker, roots, raised, started, previous)
    except Exception as exc:
        logger.warning(
            "no summary of the build for gokart_build_finished: collecting it raised %s: %s",
            type(exc).__name__,
            exc,
        )
        return previous


def _collect(
    worker: Any,
    roots: Sequence[Any] | None,
    raised: Mapping[str, Sequence[BaseException]],
    started: float,
    previous: BuildSummary | None,
) -> BuildSummary:
    by_status = luigi_internals.summary_of(worker)
    scheduler = luigi_internals.scheduler_of(worker)
    chosen: dict[str, tuple[Any, str]] = {}  # a task's first status in STATUSES' order
    for status in STATUSES:
        for task in by_status.get(status, ()):
            chosen.setdefault(task.task_id, (task, status))
    statuses = {task_id: status for task_id, (_, status) in chosen.items()}
    if previous is not None:  # what an earlier attempt did stands unless this one did more
        for task_id, earlier in previous.statuses.items():
            if _keeps_earlier(statuses.get(task_id), earlier):
                statuses[task_id] = earlier

    def describe() -> tuple[TaskSummary, ...]:
        found = {
            i: _task_summary(t, status, scheduler, raised) for i, (t, status) in chosen.items()
        }
        if previous is not None:
            for earlier in previous.tasks:
                now = found.get(earlier.task_id)
                if _keeps_earlier(None if now is None else now.status, earlier.status):
                    found[earlier.task_id] = earlier
        return tuple(found.values())

    if roots is None:
        root = luigi_internals.root_task_of(worker)
        roots = [] if root is None else [root]
    return BuildSummary(
        root_task_ids=tuple(t.task_id for t in roots),
        root_task_names=tuple(t.get_task_family() for t in roots),
        tasks=TaskSummaries(describe),
        success=False,
        wall_seconds=time.monotonic() - started,
        root_tasks=tuple(roots),
        statuses=statuses,
    )


def _keeps_earlier(now: str | None, earlier: str) -> bool:
    return now is None or (now == "already_done" and earlier == "completed")


def notify(summary: BuildSummary | None, success: bool) -> None:
    """Tell every ``gokart_build_finished`` implementation, each on its own: one that raises is
    logged as a warning, and neither stops the others nor changes the build's result. Each is
    called through pluggy (``subset_hook_caller`` with the other implementations left out), so
    hook wrappers wrap every call."""
    if summary is None:
        return
    summary = dataclasses.replace(summary, success=success)
    pm = get_plugins().pm
    impls = pm.hook.gokart_build_finished.get_hookimpls()
    callers = [i for i in impls if not (i.hookwrapper or i.wrapper)]
    for impl in reversed(callers):  # pluggy's order: the last registered first
        others = [i.plugin for i in callers if i is not impl]
        try:
            pm.subset_hook_caller("gokart_build_finished", remove_plugins=others)(summary=summary)
        except Exception as exc:
            logger.warning(
                "gokart_build_finished of plugin %s raised %s: %s (the build's result stands)",
                impl.plugin_name,
                type(exc).__name__,
                exc,
            )


def finished(summary: BuildSummary) -> bool:
    """Whether the build ``summary`` tells of finished: nothing failed or could not be
    scheduled, and every root task is complete."""
    statuses = summary.statuses
    broken = any(s in ("failed", "scheduling_error") for s in statuses.values())
    done = ("completed", "already_done")
    return not broken and all(statuses.get(t) in done for t in summary.root_task_ids)


def notify_run(workers: Sequence[Any], started: float, args: list[str]) -> None:
    """``run()``'s call of the hook: the summary of the command line's build (its last worker,
    the one that ran the root task), a success when :func:`finished` (not from the exit code:
    luigi's ``[retcode]`` settings may make a failed build exit with 0). Told with the command
    line ``args`` in force, so that config classes read their flags (``--SlackConfig-channel``)."""
    if workers:
        collected = collect(workers[-1], None, {}, started)
        if collected is not None:
            with CmdlineParser.global_instance(args, allow_override=True):
                notify(collected, success=finished(collected))
