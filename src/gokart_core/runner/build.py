"""Running tasks from Python: ``build`` (the command line's ``run`` is in ``command_line``)."""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar, overload

import luigi
import luigi.cmdline
import luigi.configuration
import luigi.interface
import luigi.task_register
import luigi.worker

from gokart_core import luigi_internals
from gokart_core.errors import (
    GokartBuildError,
    HasLockedTaskException,
    ProcessLocalStorageError,
)
from gokart_core.plugin.manager import get_plugins
from gokart_core.runner import outcome, scheduler
from gokart_core.runner import summary as build_summary
from gokart_core.runner.observe import observed
from gokart_core.runner.progress import build_progress
from gokart_core.runner.reporting import build_report
from gokart_core.runner.summary_data import BuildSummary
from gokart_core.runner.task_dump import TaskDumpConfig, process_task_info
from gokart_core.target import storage
from gokart_core.target.existence import existence_cache
from gokart_core.task import TaskOnKart
from gokart_core.task.io import load_shaped

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: How often a build whose tasks another worker process runs looks again.
_OTHERS_POLL_SECONDS = 0.5


@contextmanager
def _collect_failures() -> Iterator[dict[str, list[BaseException]]]:
    """Record the exceptions of failing tasks (of this process) while the block runs."""
    raised: dict[str, list[BaseException]] = {}

    def on_failure(task: luigi.Task, exception: BaseException) -> None:
        raised.setdefault(task.task_id, []).append(exception)

    events = (luigi.Event.FAILURE, luigi.Event.BROKEN_TASK)
    for event in events:
        luigi.Task.event_handler(event)(on_failure)
    try:
        yield raised
    finally:
        for event in events:
            luigi.Task.remove_event_handler(event, on_failure)


@contextmanager
def _logger_levels(level: int) -> Iterator[None]:
    names = ("luigi", "luigi-interface", "gokart_core")
    loggers = [logging.getLogger(n) for n in names]
    previous = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(level)
    try:
        yield
    finally:
        for lg, lvl in zip(loggers, previous):
            lg.setLevel(lvl)


def _drop_redefined_task_classes() -> None:
    """Keep only the newest definition of each class in luigi's registry.

    A notebook that runs ``class MyTask`` twice otherwise makes luigi's name lookup ambiguous.
    Only redefinitions (same module, same qualified name) are dropped: two different classes
    of the same name stay ambiguous, as luigi says. gokart drops every user class instead,
    which breaks name lookups (dynamic dependencies).
    """
    classes = luigi_internals.registered_task_classes()
    newest: dict[tuple[str, str], type] = {}
    for cls in classes:
        newest[(cls.__module__, cls.__qualname__)] = cls
    luigi_internals.set_registered_task_classes(
        [c for c in classes if newest[(c.__module__, c.__qualname__)] is c]
    )


@overload
def build(
    task: TaskOnKart[T],
    return_value: bool = True,
    reset_register: bool = True,
    log_level: int = logging.ERROR,
    task_lock_exception_max_tries: int = 10,
    task_lock_exception_max_wait_seconds: int = 600,
    progress: bool | None = None,
    task_dump_config: TaskDumpConfig | None = None,
    report: str | None = None,
    **env_params: Any,
) -> T: ...
@overload
def build(
    task: Sequence[TaskOnKart[Any]],
    return_value: bool = True,
    reset_register: bool = True,
    log_level: int = logging.ERROR,
    task_lock_exception_max_tries: int = 10,
    task_lock_exception_max_wait_seconds: int = 600,
    progress: bool | None = None,
    task_dump_config: TaskDumpConfig | None = None,
    report: str | None = None,
    **env_params: Any,
) -> list[Any]: ...
def build(
    task: TaskOnKart[Any] | Sequence[TaskOnKart[Any]],
    return_value: bool = True,
    reset_register: bool = True,
    log_level: int = logging.ERROR,
    task_lock_exception_max_tries: int = 10,
    task_lock_exception_max_wait_seconds: int = 600,
    progress: bool | None = None,
    task_dump_config: TaskDumpConfig | None = None,
    report: str | None = None,
    **env_params: Any,
) -> Any:
    """Build ``task`` (and what it requires) with a local scheduler; return its loaded output.

    The output keeps its shape (one object, a list or a dict). ``env_params`` go to
    ``luigi.build`` (``workers=4``, ``local_scheduler=False`` with ``scheduler_host=...``).
    Raises :class:`GokartBuildError` when any task failed or could not be scheduled; its
    ``raised_exceptions`` holds the exceptions raised in this process (with ``workers>1`` runs
    happen in child processes, and only the failed task ids are known).

    When the only failures are locks held by other applications (``redis_fail=True``), the
    build is tried again with exponential backoff, up to ``task_lock_exception_max_tries``
    times or ``task_lock_exception_max_wait_seconds`` in all.

    ``progress``: a live line on stderr with the tasks done / total, the task running and the
    time elapsed. ``None`` follows ``GOKART_PROGRESS`` / ``[gokart_core] progress`` (true,
    false or auto), and auto shows it only when stderr is a terminal (see
    :mod:`gokart_core.runner.progress`). ``task_dump_config``: gokart's, see
    :mod:`gokart_core.runner.task_dump`. ``report="run.html"`` (a path or an fsspec URL): the
    build's run report, one HTML page, written during the build and at its end
    (:mod:`gokart_core.report`).
    """
    started = time.monotonic()
    tasks = list(task) if isinstance(task, Sequence) else [task]
    if reset_register:
        _drop_redefined_task_classes()
    env_params.setdefault("local_scheduler", True)
    env_params.setdefault("worker_scheduler_factory", scheduler.default_factory())
    _refuse_process_local_workspaces(tasks, env_params)
    deadline = time.monotonic() + task_lock_exception_max_wait_seconds
    with (
        existence_cache.scope(),
        _logger_levels(log_level),
        build_progress(progress) as progress_line,
        build_report(report, tasks) as run_report,
    ):
        for each in tasks:  # gokart's tree or table of the task, printed or dumped
            process_task_info(each, task_dump_config)
        listeners = [x for x in (progress_line, run_report) if x is not None]
        env_params["worker_scheduler_factory"] = observed(
            env_params.get("worker_scheduler_factory"), listeners
        )
        collected: BuildSummary | None = None
        for attempt in itertools.count(1):
            with _collect_failures() as raised:
                result = luigi.build(
                    tasks,
                    detailed_summary=True,
                    log_level=logging.getLevelName(log_level),
                    **env_params,
                )
            collected = build_summary.collect(result.worker, tasks, raised, started, collected)
            succeeded = outcome.succeeded(result)
            if succeeded or outcome.shared_graph(result, raised):
                # With a scheduler that other worker processes share (luigid), luigi counts
                # what another one runs as done, or as "not granted run permission".
                done = all(t.complete() for t in tasks)
                if not done and outcome.run_by_others(result):
                    # This worker left while another one runs what it needs: wait for that,
                    # as luigi's keep_alive waits for pending tasks.
                    time.sleep(_OTHERS_POLL_SECONDS)
                    continue
                if succeeded or done:
                    break
            wait = outcome.lock_retry_wait(attempt)
            if (
                outcome.only_lock_failures(raised)
                and attempt < task_lock_exception_max_tries
                and time.monotonic() + wait < deadline
            ):
                logger.info("a lock is held by another application; building again in %.1fs", wait)
                time.sleep(wait)
                continue
            message = outcome.failure_message(result, raised)
            build_summary.notify(collected, success=False)  # the gokart_build_finished hook
            if outcome.only_lock_failures(raised):  # gokart's exception for it
                raise HasLockedTaskException(message, raised_exceptions=raised)
            raise GokartBuildError(message, raised_exceptions=raised)
        build_summary.notify(collected, success=True)
        if not return_value:
            return None
        outputs = [load_shaped(t.output()) for t in tasks]
    return outputs if isinstance(task, Sequence) else outputs[0]


def _refuse_process_local_workspaces(
    tasks: Sequence[luigi.Task], env_params: dict[str, Any]
) -> None:
    """Fail before anything runs when luigi would run tasks in forked processes (``workers>1``
    or ``[worker] force_multiprocessing``) and a task's workspace lives in this process's
    memory (``memory://``): each child would write into its own copy, lost when it exits.
    (Code that calls ``luigi.build`` itself gets the same error from the dump in the child.)"""
    workers = env_params.get("workers", luigi.interface.core().workers)
    if int(workers) <= 1 and not luigi.worker.worker().force_multiprocessing:
        return
    seen: set[str] = set()
    workspaces: dict[tuple[str, str], dict[str, Any]] = {}
    pending = list(tasks)
    while pending:  # every task of the graph once (luigi walks it the same way to schedule)
        task = pending.pop()
        if task.task_id in seen:
            continue
        seen.add(task.task_id)
        if isinstance(task, TaskOnKart):
            options = storage.thaw(task.storage_options)
            key = (task.workspace_directory, json.dumps(options, sort_keys=True, default=str))
            workspaces[key] = options
        pending.extend(task.deps())
    for (workspace, _), options in sorted(workspaces.items()):
        fs, _ = get_plugins().filesystem(workspace, options)
        if storage.is_process_local(fs):
            raise ProcessLocalStorageError(
                f"cannot build with workers={workers} in the workspace {workspace!r}: memory:// "
                "lives in one process's memory, and luigi runs each task of a parallel build in "
                "a child process of its own, whose outputs would be lost when it exits. Build "
                "with workers=1, or set workspace_directory to a local folder or object storage "
                "(s3://, gs://)"
            )
