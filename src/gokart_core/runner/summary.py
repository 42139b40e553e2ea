"""What a finished build did, for the ``gokart_build_finished`` hook: :class:`BuildSummary`.

Collected in the building process after luigi returns, from what luigi's worker recorded there
(its summary of the tasks by status) and from the scheduler (each failure's explanation, the
traceback the task's process sent it): complete with ``workers>1`` too, where tasks run in
forked children. Nothing is collected when no plugin implements the hook.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from luigi.cmdline_parser import CmdlineParser

from gokart_core import luigi_internals
from gokart_core.plugin.manager import get_plugins

logger = logging.getLogger(__name__)

#: The statuses of a task in a summary: luigi's names for them (its execution summary's), in
#: the order a task that luigi files under several gets the first of (``completed`` over
#: ``ever_failed``, for a task that succeeded on a retry).
STATUSES = (
    "completed",
    "already_done",
    "failed",
    "scheduling_error",
    "still_pending_ext",
    "run_by_other_worker",
    "upstream_failure",
    "upstream_missing_dependency",
    "upstream_run_by_other_worker",
    "upstream_scheduling_error",
    "not_run",
    "still_pending_not_ext",
)


@dataclass(frozen=True)
class TaskSummary:
    """One task of a build."""

    task_id: str
    #: luigi's family (``namespace.ClassName``) and the class's own name.
    family: str
    name: str
    #: The significant public parameters, as strings (``to_str_params(only_significant=True,
    #: only_public=True)``): never a ``PRIVATE`` / ``HIDDEN`` one (a password).
    params: Mapping[str, str]
    #: One of :data:`STATUSES`: ``completed`` ran in this build, ``already_done`` was complete
    #: before it, ``failed`` raised in ``run()``.
    status: str
    #: gokart's unique id of a ``TaskOnKart`` (None for other luigi tasks, and for a task whose
    #: ``requires()`` raises).
    unique_id: str | None = None
    #: For a failed task: the exception as Python prints it (``ValueError: bad row 3``), and the
    #: whole traceback; empty otherwise.
    error: str = ""
    traceback: str = ""


@dataclass(frozen=True)
class BuildSummary:
    """What one ``build()`` or ``run()`` did, told to ``gokart_build_finished``."""

    #: The root tasks' ids and luigi families, in the order the build was given them.
    root_task_ids: tuple[str, ...]
    root_task_names: tuple[str, ...]
    #: Every task the build scheduled, once each.
    tasks: tuple[TaskSummary, ...]
    #: Whether the build finished: the root tasks' outputs are complete and nothing failed.
    success: bool
    #: Seconds from the call of ``build()`` / ``run()`` to the end of luigi's build.
    wall_seconds: float
    #: The root task objects themselves (for their dependency tree, say).
    root_tasks: tuple[Any, ...] = field(default=(), compare=False, repr=False)

    def with_status(self, *statuses: str) -> tuple[TaskSummary, ...]:
        return tuple(t for t in self.tasks if t.status in statuses)

    @property
    def succeeded(self) -> tuple[TaskSummary, ...]:
        """The tasks that ran in this build and succeeded."""
        return self.with_status("completed")

    @property
    def failed(self) -> tuple[TaskSummary, ...]:
        return self.with_status("failed")

    @property
    def already_done(self) -> tuple[TaskSummary, ...]:
        return self.with_status("already_done")


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
    found: dict[str, TaskSummary] = {}
    for status in STATUSES:
        for task in by_status.get(status, ()):
            if task.task_id not in found:
                found[task.task_id] = _task_summary(task, status, scheduler, raised)
    if previous is not None:
        for earlier in previous.tasks:
            now = found.get(earlier.task_id)
            if now is None or (now.status == "already_done" and earlier.status == "completed"):
                found[earlier.task_id] = earlier
    if roots is None:
        root = luigi_internals.root_task_of(worker)
        roots = [] if root is None else [root]
    return BuildSummary(
        root_task_ids=tuple(t.task_id for t in roots),
        root_task_names=tuple(t.get_task_family() for t in roots),
        tasks=tuple(found.values()),
        success=False,
        wall_seconds=time.monotonic() - started,
        root_tasks=tuple(roots),
    )


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
    done = {t.task_id for t in summary.with_status("completed", "already_done")}
    broken = summary.with_status("failed", "scheduling_error")
    return not broken and all(task_id in done for task_id in summary.root_task_ids)


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
