"""gokart's module path ``gokart.build``, for ``from gokart.build import TaskDumpConfig``.

``gokart_core.build`` itself is the function (``gokart_core/__init__`` imports this module
first, then binds the name to the function, as gokart does)."""

from gokart_core.errors import GokartBuildError, HasLockedTaskException
from gokart_core.runner.build import build
from gokart_core.runner.task_dump import (
    TaskDumpConfig,
    TaskDumpMode,
    TaskDumpOutputType,
    process_task_info,
)

__all__ = [
    "GokartBuildError",
    "HasLockedTaskException",
    "TaskDumpConfig",
    "TaskDumpMode",
    "TaskDumpOutputType",
    "build",
    "process_task_info",
]
