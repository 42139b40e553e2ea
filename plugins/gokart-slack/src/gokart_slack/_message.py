"""The report of a build, in gokart's words: its comment and its ``event.txt`` snippet."""

from __future__ import annotations

from gokart_core.plugin_api import BuildSummary, TaskSummary, make_tree_info

#: What the snippet says in place of the tree when ``send_tree_info`` is off (gokart's words).
NO_TREE = "Please add SlackConfig.send_tree_info to include tree-info"
TITLE = "event.txt"


def _task(task: TaskSummary) -> str:
    """gokart's name of a task: ``ClassName:[unique id]`` (the task id for other luigi tasks)."""
    return f"{task.name}:[{task.unique_id or task.task_id}]"


def comment(summary: BuildSummary, to_user: str) -> str:
    """``Report of Root`` and the counts; ``<@user>`` first when someone is to be mentioned."""
    names = ", ".join(summary.root_task_names) or "no task"
    text = f"Report of {names}\nSuccess: {len(summary.succeeded)}; Failure: {len(summary.failed)}"
    return f"<{to_user}> {text}" if to_user else text


def event_list(summary: BuildSummary) -> str:
    """The failed tasks with their exceptions, then the tasks that ran and succeeded."""
    parts = []
    if summary.failed:
        lines = [f"Task: {_task(t)}; Exception: {t.error}" for t in summary.failed]
        parts.append("\n".join(["---- Failure Tasks ----", *lines]))
    if summary.succeeded:
        parts.append("\n".join(["---- Success Tasks ----", *map(_task, summary.succeeded)]))
    return "\n".join(parts) if parts else "Tasks were not executed."


def content(summary: BuildSummary, send_tree_info: bool) -> str:
    """The snippet: the event list, then the dependency tree of the root tasks."""
    if send_tree_info:
        tree = "\n".join(make_tree_info(t, details=True) for t in summary.root_tasks)
    else:
        tree = NO_TREE
    return "\n".join(
        ["===== Event List ====", event_list(summary), "\n", "==== Tree Info ====", tree]
    )
