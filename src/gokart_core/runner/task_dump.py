"""gokart's ``build(task, task_dump_config=...)``: the task's dependency tree or table, logged
(INFO, logger ``gokart_core.runner.task_dump``) or written to ``log/task_info/`` before the
build runs, as gokart does it."""

from __future__ import annotations

import enum
import io
import logging
from dataclasses import dataclass
from typing import Any

from gokart_core.graph.tree import make_task_info_as_table, make_task_info_as_tree_str
from gokart_core.task import TaskOnKart

logger = logging.getLogger(__name__)


class TaskDumpMode(enum.Enum):
    TREE = "tree"
    TABLE = "table"
    NONE = "none"


class TaskDumpOutputType(enum.Enum):
    PRINT = "print"
    DUMP = "dump"
    NONE = "none"


@dataclass(frozen=True)
class TaskDumpConfig:
    """What to show of the task before the build: nothing (both ``NONE``, the default), its
    tree or its table, printed (logged at INFO) or dumped to
    ``{workspace}/log/task_info/{ClassName}_{id}.txt`` (tree) or ``.pkl`` (table), the
    workspace and id being those of a plain ``TaskOnKart()``, as in gokart."""

    mode: TaskDumpMode = TaskDumpMode.NONE
    output_type: TaskDumpOutputType = TaskDumpOutputType.NONE


def process_task_info(task: TaskOnKart[Any], config: TaskDumpConfig | None = None) -> None:
    config = config or TaskDumpConfig()
    mode, output = config.mode, config.output_type
    if mode is TaskDumpMode.NONE and output is TaskDumpOutputType.NONE:
        return
    if mode is TaskDumpMode.NONE or output is TaskDumpOutputType.NONE:
        raise ValueError(f"Unsupported TaskDumpConfig: {config} (set both or neither)")
    name = type(task).__name__
    if mode is TaskDumpMode.TREE:
        tree = make_task_info_as_tree_str(task)
        if output is TaskDumpOutputType.PRINT:
            logger.info(tree)
        else:
            TaskOnKart().make_target(f"log/task_info/{name}.txt").dump(tree)
        return
    table = make_task_info_as_table(task)
    if output is TaskDumpOutputType.PRINT:
        text = io.StringIO()
        table.to_csv(text, index=False, sep="\t")
        logger.info(text.getvalue())
    else:
        TaskOnKart().make_target(f"log/task_info/{name}.pkl").dump(table)


__all__ = ["TaskDumpConfig", "TaskDumpMode", "TaskDumpOutputType", "process_task_info"]
