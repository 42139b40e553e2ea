"""Pictures of a pipeline: the dependency tree as text (gokart's layout), a table, and the
dependency graph as Mermaid or Graphviz DOT, each task with its state (COMPLETE or PENDING).

Every function walks the graph with an explicit stack, so a pipeline thousands of tasks deep
is no RecursionError, and calls ``complete()`` once per distinct task.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import luigi
import luigi.task

from gokart_core.task import TaskOnKart
from gokart_core.task.task_parameters import ListTaskInstanceParameter, TaskInstanceParameter

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class TaskInfo:
    """One distinct task of the graph (tasks are the same when name and unique id are)."""

    name: str
    unique_id: str
    output_paths: list[str]
    params: dict[str, str]
    is_complete: str
    processing_time: str = "unknown"
    task_log: dict[str, Any] = field(default_factory=dict)
    requires: Any = None
    children: list[TaskInfo] = field(default_factory=list)

    @property
    def task_id(self) -> str:
        return f"{self.name}_{self.unique_id}"

    @property
    def title(self) -> str:
        return f"({self.is_complete}) {self.name}[{self.unique_id}]"

    @property
    def detail(self) -> str:
        return (
            f"(parameter={self.params}, output={self.output_paths}, "
            f"time={self.processing_time}, task_log={self.task_log})"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "unique_id": self.unique_id,
            "output_paths": self.output_paths,
            "params": self.params,
            "processing_time": self.processing_time,
            "is_complete": self.is_complete,
            "task_log": self.task_log,
            "requires": self.requires,
        }


def _unique_id(task: luigi.Task) -> str:
    if isinstance(task, TaskOnKart):
        return task.make_unique_id()
    return str(task.task_id.rsplit("_", 1)[-1])


def _path(target: Any) -> str:
    path = target.path
    return str(path() if callable(path) else path)


def _params(task: luigi.Task) -> dict[str, str]:
    """Significant parameters; a task given as a parameter shows as ``Name-unique_id``."""
    result: dict[str, str] = {}
    params = dict(task.get_params())
    for name, value in task.param_kwargs.items():
        param = params[name]
        if not param.significant:
            continue
        if isinstance(param, TaskInstanceParameter):
            result[name] = f"{type(value).__name__}-{_unique_id(value)}"
        elif isinstance(param, ListTaskInstanceParameter):
            result[name] = json.dumps([f"{type(v).__name__}-{_unique_id(v)}" for v in value])
        else:
            result[name] = param.serialize(value)
    return result


def _requires_info(struct: Any) -> Any:
    if isinstance(struct, luigi.Task):
        return (type(struct).__name__, _unique_id(struct))
    if isinstance(struct, dict):
        return {k: _requires_info(v) for k, v in struct.items()}
    if isinstance(struct, Iterable) and not isinstance(struct, str):
        return [_requires_info(v) for v in struct]
    raise TypeError(f"requires() returned {type(struct).__name__}; it must return luigi tasks")


def make_task_info_tree(
    task: luigi.Task, ignore_task_names: Iterable[str] | None = None, *, logs: bool = True
) -> TaskInfo:
    """The graph under ``task`` as TaskInfos; each distinct task appears once (shared).

    With ``logs``, a TaskOnKart's ``processing_time`` (``"1.5s"``, as gokart writes it) and
    ``task_log`` come from its run's logs (``get_processing_time()``, ``get_task_log()``: up to
    two reads per task); without, and for other luigi tasks, they are ``"unknown"`` and ``{}``.
    """
    ignored = set(ignore_task_names or ())
    infos: dict[str, TaskInfo] = {}
    pending: list[tuple[luigi.Task, TaskInfo]] = []

    def info_of(t: luigi.Task) -> TaskInfo:
        key = f"{type(t).__name__}_{_unique_id(t)}"
        if key in infos:
            return infos[key]
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Task .* without outputs")
            complete = t.complete()
        info = TaskInfo(
            name=type(t).__name__,
            unique_id=_unique_id(t),
            output_paths=[
                o.path() if callable(o.path) else str(o.path)
                for o in luigi.task.flatten(t.output())
            ],
            params=_params(t),
            is_complete="COMPLETE" if complete else "PENDING",
        )
        if logs and isinstance(t, TaskOnKart):
            seconds = t.get_processing_time()
            info.processing_time = f"{seconds}s" if isinstance(seconds, float) else str(seconds)
            info.task_log = dict(t.get_task_log())
        infos[key] = info
        pending.append((t, info))
        return info

    root = info_of(task)
    while pending:
        current, info = pending.pop()
        requires = current.requires()
        info.requires = _requires_info(requires)
        info.children = [
            info_of(child)
            for child in luigi.task.flatten(requires)
            if type(child).__name__ not in ignored
        ]
    return root


def make_task_info_as_tree_str(
    task: luigi.Task,
    details: bool = False,
    abbr: bool = True,
    ignore_task_names: list[str] | None = None,
) -> str:
    """The dependency tree in gokart's layout, one task a line with ``(COMPLETE)`` or
    ``(PENDING)``. With ``abbr``, a task met again shows as ``└─- ...`` below its title;
    ``details`` adds parameters, output paths, and the time and task log of the logged run.
    Tasks named in ``ignore_task_names`` (and what only they require) are left out."""
    root = make_task_info_tree(task, ignore_task_names, logs=details)
    parts: list[str] = []
    visited: set[str] = set()
    stack: list[tuple[TaskInfo, str, bool]] = [(root, "", True)]
    while stack:
        info, indent, last = stack.pop()
        parts.append("\n" + indent)
        if last:
            parts.append("└─-")
            indent += "   "
        else:
            parts.append("|--")
            indent += "|  "
        parts.append(info.title)
        if abbr:
            if info.task_id in visited:
                parts.append(f"\n{indent}└─- ...")
                continue
            visited.add(info.task_id)
        if details:
            parts.append(info.detail)
        children = info.children
        for index in reversed(range(len(children))):
            stack.append((children[index], indent, index + 1 == len(children)))
    return "".join(parts)


def _distinct(root: TaskInfo) -> list[TaskInfo]:
    """Every distinct task, in the pre-order of the tree."""
    order: list[TaskInfo] = []
    seen: set[str] = set()
    stack = [root]
    while stack:
        info = stack.pop()
        if info.task_id in seen:
            continue
        seen.add(info.task_id)
        order.append(info)
        stack.extend(reversed(info.children))
    return order


def make_task_info_as_table(
    task: luigi.Task, ignore_task_names: list[str] | None = None
) -> pd.DataFrame:
    """One row per distinct task: name, unique_id, output_paths, params, processing_time,
    is_complete, task_log, requires (needs pandas)."""
    import pandas as pd

    rows = [info.as_dict() for info in _distinct(make_task_info_tree(task, ignore_task_names))]
    table: pd.DataFrame = pd.DataFrame(rows)
    return table


_MERMAID_STYLE = {
    "COMPLETE": "fill:#d4edda,stroke:#28a745",
    "PENDING": "fill:#fff3cd,stroke:#d39e00",
}
_DOT_FILL = {"COMPLETE": "#d4edda", "PENDING": "#fff3cd"}


def make_task_graph(
    task: luigi.Task,
    format: Literal["mermaid", "dot"] = "mermaid",
    ignore_task_names: list[str] | None = None,
) -> str:
    """The dependency graph with each task's state, as Mermaid (``flowchart``) or Graphviz DOT.

    Nodes are the distinct tasks, labelled ``Name[unique_id]`` and their state; an edge goes
    from a required task to the task that requires it (the direction data flows).
    """
    nodes = _distinct(make_task_info_tree(task, ignore_task_names, logs=False))
    ids = {info.task_id: f"t{i}" for i, info in enumerate(nodes)}
    edges: list[tuple[str, str]] = []
    for info in nodes:
        for child in info.children:
            edge = (ids[child.task_id], ids[info.task_id])
            if edge not in edges:
                edges.append(edge)
    if format == "mermaid":
        lines = ["flowchart BT"]
        for info in nodes:
            lines.append(
                f'    {ids[info.task_id]}["{info.name}[{info.unique_id}]<br/>{info.is_complete}"]'
                f":::{info.is_complete.lower()}"
            )
        lines.extend(f"    {a} --> {b}" for a, b in edges)
        lines.extend(f"    classDef {s.lower()} {style}" for s, style in _MERMAID_STYLE.items())
        return "\n".join(lines) + "\n"
    if format == "dot":
        lines = ["digraph tasks {", "    rankdir=BT;", "    node [shape=box, style=filled];"]
        for info in nodes:
            label = f"{info.name}[{info.unique_id}]\\n{info.is_complete}"
            fill = _DOT_FILL[info.is_complete]
            lines.append(f'    {ids[info.task_id]} [label="{label}", fillcolor="{fill}"];')
        lines.extend(f"    {a} -> {b};" for a, b in edges)
        lines.append("}")
        return "\n".join(lines) + "\n"
    raise ValueError(f"make_task_graph: format must be 'mermaid' or 'dot', not {format!r}")


__all__ = [
    "TaskInfo",
    "make_task_graph",
    "make_task_info_as_table",
    "make_task_info_as_tree_str",
    "make_task_info_tree",
]
