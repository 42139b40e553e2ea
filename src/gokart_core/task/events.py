"""luigi's events of a TaskOnKart's life become gokart-core's lifecycle hooks, for every subclass.

Only callbacks in luigi's table are registered here (when :mod:`gokart_core.task` is imported);
the plugin manager is still built on first use. luigi sends PROCESSING_TIME before SUCCESS.
"""

from __future__ import annotations

from typing import Any

import luigi

from gokart_core.plugin.manager import get_plugins
from gokart_core.task.task import TaskOnKart


def _on_start(task: TaskOnKart[Any]) -> None:
    get_plugins().before_run(task)


def _on_success(task: TaskOnKart[Any]) -> None:
    get_plugins().after_run(task)


def _on_failure(task: TaskOnKart[Any], exception: BaseException) -> None:
    get_plugins().on_failure(task, exception)


def _on_processing_time(task: TaskOnKart[Any], seconds: float) -> None:
    task._processing_time = seconds


TaskOnKart.event_handler(luigi.Event.START)(_on_start)
TaskOnKart.event_handler(luigi.Event.SUCCESS)(_on_success)
TaskOnKart.event_handler(luigi.Event.FAILURE)(_on_failure)
TaskOnKart.event_handler(luigi.Event.PROCESSING_TIME)(_on_processing_time)
