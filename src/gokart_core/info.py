"""gokart's ``gokart.info``: ``make_tree_info`` (the older name of
:func:`~gokart_core.tree.task_info.make_task_info_as_tree_str`) and ``tree_info``, the task whose
parameters are ``run()``'s ``--tree-info-mode`` and ``--tree-info-output-path``."""

from __future__ import annotations

from typing import Any

import luigi

from gokart_core.graph.tree import make_task_info_as_tree_str
from gokart_core.target.target import TargetOnKart
from gokart_core.task import TaskOnKart


def make_tree_info(
    task: luigi.Task,
    indent: str = "",
    last: bool = True,
    details: bool = False,
    abbr: bool = True,
    visited_tasks: set[str] | None = None,
    ignore_task_names: list[str] | None = None,
) -> str:
    """The dependency tree of ``task`` as text; ``indent``, ``last`` and ``visited_tasks`` are
    gokart's and ignored there too."""
    return make_task_info_as_tree_str(
        task, details=details, abbr=abbr, ignore_task_names=ignore_task_names
    )


class tree_info(TaskOnKart[Any]):
    """``[tree_info] mode`` (``simple`` or ``all``) and ``output_path`` (``tree.txt``, in this
    task's workspace): read by ``run()`` (:mod:`gokart_core.runner.run_info`)."""

    mode: str = luigi.Parameter(default="", description='"simple" or "all".')
    output_path: str = luigi.Parameter(default="tree.txt", description="Output file path.")

    def output(self) -> TargetOnKart:
        return self.make_target(self.output_path, use_unique_id=False)


__all__ = ["make_tree_info", "tree_info"]
