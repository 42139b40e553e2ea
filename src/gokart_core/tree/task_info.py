"""gokart's ``gokart.tree.task_info``: a task's dependency tree as text, a table or a pickle.

The tree and the table are :mod:`gokart_core.graph.tree`'s; the two ``dump_*`` functions write
them to any path or URL (local, ``s3://``, ``gs://``, ...) as gokart does: the table in the
format of the path's extension (``.csv``, ``.pkl``, ...), the tree as a pickle of its
``TaskInfo`` objects, each with the root task's unique id in the file name unless
``use_unique_id=False``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import luigi

from gokart_core.graph.tree import (
    TaskInfo,
    make_task_info_as_table,
    make_task_info_as_tree_str,
    make_task_info_tree,
)
from gokart_core.target.target import make_target
from gokart_core.task.unique_id import insert_unique_id


def _unique_id_of(task: luigi.Task) -> str | None:
    make_unique_id = getattr(task, "make_unique_id", None)
    return make_unique_id() if callable(make_unique_id) else None


def dump_task_info_table(
    task: luigi.Task, task_info_dump_path: str, ignore_task_names: Iterable[str] | None = None
) -> None:
    """Write :func:`make_task_info_as_table` to ``task_info_dump_path`` (with the task's
    unique id inserted before the extension), in the format its extension names."""
    table = make_task_info_as_table(task, ignore_task_names=list(ignore_task_names or ()))
    path = insert_unique_id(task_info_dump_path, _unique_id_of(task))
    make_target(path).dump(table)


def dump_task_info_tree(
    task: luigi.Task,
    task_info_dump_path: str,
    ignore_task_names: Iterable[str] | None = None,
    use_unique_id: bool = True,
) -> None:
    """Pickle :func:`make_task_info_tree` (the root :class:`TaskInfo`) to
    ``task_info_dump_path``, which must end in ``.pkl``."""
    extension = os.path.splitext(task_info_dump_path)[1]
    if extension != ".pkl":
        raise ValueError(
            f"dump_task_info_tree writes a pickle: {task_info_dump_path!r} must end in .pkl, "
            f"not {extension or 'no extension'!r}"
        )
    tree = make_task_info_tree(task, ignore_task_names=list(ignore_task_names or ()))
    unique_id = _unique_id_of(task) if use_unique_id else None
    make_target(insert_unique_id(task_info_dump_path, unique_id)).dump(tree)


__all__ = [
    "TaskInfo",
    "dump_task_info_table",
    "dump_task_info_tree",
    "make_task_info_as_table",
    "make_task_info_as_tree_str",
    "make_task_info_tree",
]
