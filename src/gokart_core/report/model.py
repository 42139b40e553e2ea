"""The page's data: every task with its state, details and edges, the totals, the classes, and
the laid-out graphs, as one JSON-able dict (what :mod:`.page` embeds).

States, as the page colours them:

- ``cached``: complete when the build scheduled it: its outputs were loaded, not made;
- ``ran``: run by this build, successfully;
- ``failed``: its run failed, or it could not be scheduled (``complete()`` or ``requires()``
  raised), or luigi disabled it;
- ``blocked``: not run because a task it requires (directly or further up) failed;
- ``running``: running now (a report written during the build);
- ``pending``: not run (yet).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from luigi.task_status import DISABLED, DONE, FAILED, RUNNING, UNKNOWN

from gokart_core.report.collect import TaskRecord
from gokart_core.report.layout import TASK_GRAPH_LIMIT, lay_out

STATES = ("cached", "ran", "failed", "blocked", "running", "pending")
#: Characters of a task_log value shown; the rest is cut.
MAX_LOG_CHARS = 4_000
#: Characters of a task's box in the graph.
MAX_LABEL_CHARS = 34


@dataclass
class TaskEntry:
    """One task of a page: its record and what :mod:`.describe` found out."""

    record: TaskRecord
    unique_id: str = ""
    params: dict[str, str] = field(default_factory=dict)
    outputs: list[dict[str, Any]] = field(default_factory=list)
    processing_time: float | None = None
    task_log: dict[str, Any] = field(default_factory=dict)


def state_of(record: TaskRecord) -> str:
    if record.status == DONE:
        return "ran" if record.ran else "cached"
    if record.status in (FAILED, UNKNOWN, DISABLED):
        return "failed"
    if record.status == RUNNING:
        return "running"
    return "pending"


def _blocked(states: list[str], deps: list[list[int]]) -> None:
    """Mark pending tasks downstream of a failed one as blocked (in place)."""
    users: list[list[int]] = [[] for _ in states]
    for index, required in enumerate(deps):
        for dep in required:
            users[dep].append(index)
    pending = [i for i, s in enumerate(states) if s in ("failed", "blocked")]
    while pending:
        for user in users[pending.pop()]:
            if states[user] == "pending":
                states[user] = "blocked"
                pending.append(user)


def _label(entry: TaskEntry) -> str:
    """The text of a task's box: its class, and its parameters as far as they fit."""
    name = entry.record.family or entry.record.task_id
    if not entry.params:
        return name
    shown = ", ".join(f"{k}={v}" for k, v in entry.params.items())
    text = f"{name}({shown})"
    return text if len(text) <= MAX_LABEL_CHARS else text[: MAX_LABEL_CHARS - 1] + "…"


def _plain(value: Any) -> Any:
    """``value`` as JSON can hold it; anything else as its repr, long texts cut."""
    text = json.dumps(value, default=repr)
    if len(text) > MAX_LOG_CHARS:
        return text[:MAX_LOG_CHARS] + f"... ({len(text):,} characters)"
    decoded: Any = json.loads(text)
    return decoded


def _layouts(
    labels: Sequence[str],
    deps: Sequence[Sequence[int]],
    groups: Mapping[str, list[int]],
    families: Sequence[str],
) -> dict[str, Any]:
    edges = [(dep, i) for i, required in enumerate(deps) for dep in required]
    order = list(groups)
    at = {family: n for n, family in enumerate(order)}
    group_edges = sorted({(at[families[a]], at[families[b]]) for a, b in edges})
    group_labels = [f"{family} \u00d7{len(groups[family])}" for family in order]
    layouts: dict[str, Any] = {"groups": lay_out(group_labels, group_edges)}
    layouts["groups"]["edge_pairs"] = group_edges
    if len(labels) <= TASK_GRAPH_LIMIT:
        layouts["tasks"] = lay_out(labels, edges)
        layouts["tasks"]["edge_pairs"] = edges
    return layouts


class LayoutCache:
    """The last layout and what it was made of: a page written again during a build lays the
    graph out again only when tasks or edges were added, not when states changed."""

    def __init__(self) -> None:
        self._key: Any = None
        self._value: dict[str, Any] = {}

    def get(
        self,
        labels: Sequence[str],
        deps: Sequence[Sequence[int]],
        groups: Mapping[str, list[int]],
        families: Sequence[str],
    ) -> dict[str, Any]:
        key = (tuple(labels), tuple(tuple(d) for d in deps))
        if key != self._key:
            self._value = _layouts(labels, deps, groups, families)
            self._key = key
        return self._value


def page_data(
    entries: Iterable[TaskEntry],
    *,
    title: str,
    started: float | None,
    finished: float | None,
    source: str,
    layouts: LayoutCache | None = None,
) -> dict[str, Any]:
    """The dict the page draws. ``source``: ``"build"`` (states from this build) or
    ``"workspace"`` (drawn from the outputs and logs, nothing run)."""
    entries = list(entries)
    index = {e.record.task_id: i for i, e in enumerate(entries)}
    deps = [sorted({index[d] for d in e.record.deps if d in index}) for e in entries]
    states = [state_of(e.record) for e in entries]
    _blocked(states, deps)
    groups: dict[str, list[int]] = {}
    for i, e in enumerate(entries):
        groups.setdefault(e.record.family or "?", []).append(i)
    families = [e.record.family or "?" for e in entries]
    labels = [_label(e) for e in entries]
    tasks = []
    written = 0
    for i, e in enumerate(entries):
        r = e.record
        duration = None
        if r.started is not None and r.finished is not None:
            duration = round(r.finished - r.started, 3)
        if states[i] == "ran":
            written += sum(o["size"] or 0 for o in e.outputs)
        tasks.append(
            {
                "id": r.task_id,
                "family": r.family or "?",
                "label": labels[i],
                "unique_id": e.unique_id,
                "state": states[i],
                "params": e.params,
                "outputs": e.outputs,
                "deps": deps[i],
                "duration": duration,
                "processing_time": e.processing_time,
                "task_log": _plain(e.task_log) if e.task_log else {},
                "error": r.error,
            }
        )
    now = time.time()
    end = finished if finished is not None else now
    return {
        "title": title,
        "source": source,
        "generated": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now)),
        "finished": finished is not None,
        "wall_time": None if started is None else round(end - started, 3),
        "totals": {s: states.count(s) for s in STATES},
        "bytes_written": written,
        "tasks": tasks,
        "groups": [{"family": f, "tasks": members} for f, members in groups.items()],
        "layout": (layouts or LayoutCache()).get(labels, deps, groups, families),
        "default_view": "tasks" if len(entries) <= TASK_GRAPH_LIMIT else "groups",
    }
