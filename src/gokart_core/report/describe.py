"""Each task of a report described from its object: the parameters that may be shown, its
unique id, its outputs with their sizes, and its run's logs.

A parameter is shown only when it is significant and public: luigi's
``ParameterVisibility.PRIVATE`` / ``HIDDEN`` and ``significant=False`` are how a pipeline marks
a secret (a password, a token), and a report is a file people pass around. A task given as a
parameter shows as ``Name-unique_id`` (as the tree does).

Sizes come from the output's filesystem (``fs.size``: a ``stat`` on local disk, a HEAD on an
object store), once per output per report; a missing output has none.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

import luigi
import luigi.task
import luigi.task_register
from luigi.parameter import ParameterVisibility

from gokart_core.in_memory.target import InMemoryTarget
from gokart_core.plugin.manager import get_plugins
from gokart_core.task import TaskOnKart
from gokart_core.task.logs import read_log
from gokart_core.task.task_parameters import ListTaskInstanceParameter, TaskInstanceParameter

logger = logging.getLogger(__name__)

#: Characters of one parameter value shown; the rest is cut (a list of 10,000 ids).
MAX_VALUE_CHARS = 2_000


def unique_id(task: luigi.Task) -> str:
    if isinstance(task, TaskOnKart):
        return str(task.make_unique_id())
    return str(task.task_id.rsplit("_", 1)[-1])


def shown_params(task: luigi.Task) -> dict[str, str]:
    """The significant, public parameters of ``task``, serialized."""
    shown: dict[str, str] = {}
    params = dict(task.get_params())
    for name, value in task.param_kwargs.items():
        param = params.get(name)
        if param is None or not param.significant:
            continue
        if param.visibility != ParameterVisibility.PUBLIC:
            continue
        try:
            if isinstance(param, TaskInstanceParameter):
                text = f"{type(value).__name__}-{unique_id(value)}"
            elif isinstance(param, ListTaskInstanceParameter):
                text = ", ".join(f"{type(v).__name__}-{unique_id(v)}" for v in value)
            else:
                text = str(param.serialize(value))
        except Exception as exc:  # a value its own parameter cannot serialize: say so
            text = f"<{type(exc).__name__}>"
        if len(text) > MAX_VALUE_CHARS:
            text = text[:MAX_VALUE_CHARS] + f"... ({len(text):,} characters)"
        shown[name] = text
    return shown


def title(roots: Sequence[luigi.Task], limit: int = 3) -> str:
    """The page's title: the first ``limit`` root tasks as ``Family(name=value, ...)`` with
    their shown parameters only (``str(task)`` is luigi's repr, which has every significant
    parameter, private ones too)."""
    parts = []
    for task in roots[:limit]:
        params = ", ".join(f"{k}={v}" for k, v in shown_params(task).items())
        parts.append(f"{task.get_task_family()}({params})")
    return ", ".join(parts)


def output_files(task: luigi.Task, sizes: bool = True) -> list[dict[str, Any]]:
    """``[{"path": ..., "size": bytes or None}]`` of the task's outputs (no sizes asked
    without ``sizes``)."""
    files = []
    try:
        targets = luigi.task.flatten(task.output())
    except Exception as exc:
        logger.debug("%s: output() raised %s", task, exc)
        return []
    for target in targets:
        path = getattr(target, "path", None)
        path = path() if callable(path) else path
        if path is None:
            continue
        files.append({"path": str(path), "size": _size(target, str(path)) if sizes else None})
    return files


def _size(target: Any, path: str) -> int | None:
    if isinstance(target, InMemoryTarget):  # its "path" is a key in this process, no file
        return None
    try:
        fs = getattr(target, "fs", None)
        fs_path = getattr(target, "fs_path", None)
        if fs is None or not isinstance(fs_path, str):
            fs, fs_path = get_plugins().filesystem(path, {})
        if not fs.exists(fs_path):
            return None
        size = fs.size(fs_path)
        return None if size is None else int(size)
    except Exception as exc:  # unreachable storage: the report goes on without the size
        logger.debug("cannot size %s: %s", path, exc)
        return None


def logged(task: luigi.Task) -> tuple[float | None, dict[str, Any]]:
    """``(processing_time, task_log)`` from the task's log files in its workspace (what its
    last successful run wrote), or ``(None, {})``."""
    if not isinstance(task, TaskOnKart) or not task.should_dump_supplementary_log_files:
        return None, {}
    try:
        seconds = read_log(task, "processing_time")
        task_log = read_log(task, "task_log")
    except Exception as exc:
        logger.debug("%s: cannot read its logs: %s", task, exc)
        return None, {}
    seconds = float(seconds) if isinstance(seconds, (int, float)) else None
    return seconds, (task_log if isinstance(task_log, dict) else {})


def task_objects(
    roots: Iterable[luigi.Task], records: dict[str, tuple[str, str, dict[str, str]]]
) -> dict[str, luigi.Task]:
    """The task object of each id in ``records`` (``id -> (module, family, str_params)``):
    the roots and what they require (``deps()``, walked only through ids in ``records``),
    then, for the rest (dynamic dependencies), luigi's ``load_task`` from the worker's
    parameters, which gives the instance luigi's cache holds."""
    found: dict[str, luigi.Task] = {}
    pending = [t for t in roots if t.task_id in records]
    while pending:
        task = pending.pop()
        if task.task_id in found:
            continue
        found[task.task_id] = task
        try:
            pending.extend(d for d in task.deps() if d.task_id in records)
        except Exception as exc:
            logger.debug("%s: requires() raised %s", task, exc)
    for task_id, (module, family, params) in records.items():
        if task_id in found or not family:
            continue
        try:
            found[task_id] = luigi.task_register.load_task(module or None, family, params)
        except Exception as exc:
            logger.debug("cannot make %s again: %s", task_id, exc)
    return found


def details(task: luigi.Task, *, sizes: bool = True) -> dict[str, Any]:
    """What the page shows of one task beside its state."""
    return {
        "unique_id": unique_id(task),
        "params": shown_params(task),
        "outputs": output_files(task, sizes),
    }
