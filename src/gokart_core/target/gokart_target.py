"""gokart's ``gokart.target.make_target`` and ``make_model_target``: targets made outside a
task, by file path, unique id and processor (:mod:`gokart_core.file_processor`), as gokart's
documentation calls them; :func:`gokart_core.make_target` is gokart-core's own, by format."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gokart_core.file_processor import FileProcessor, make_file_processor
from gokart_core.target.target import TargetOnKart
from gokart_core.target.target import make_target as make_target_by_format
from gokart_core.task.unique_id import insert_unique_id


def _no_lock_params(task_lock_params: Any) -> None:
    if task_lock_params is not None and getattr(task_lock_params, "should_task_lock", False):
        raise ValueError(
            "task_lock_params: a target made outside a task has no lock in gokart-core; make "
            "it in a task whose redis_host / redis_port are set (gokart-redis)"
        )


def make_target(
    file_path: str,
    unique_id: str | None = None,
    processor: FileProcessor | None = None,
    task_lock_params: Any = None,
    store_index_in_feather: bool = True,
) -> TargetOnKart:
    """The target at ``file_path`` (with ``_{unique_id}`` before the extension, when given),
    written and read by ``processor``, by default the one gokart picks for the extension."""
    _no_lock_params(task_lock_params)
    path = insert_unique_id(file_path, unique_id)
    if processor is None:
        processor = make_file_processor(path, store_index_in_feather=store_index_in_feather)
    return make_target_by_format(
        path, format=processor.format_name, format_options=processor.format_options
    )


def make_model_target(
    file_path: str,
    temporary_directory: str,
    save_function: Callable[[Any, str], Any],
    load_function: Callable[[str], Any],
    unique_id: str | None = None,
    task_lock_params: Any = None,
) -> TargetOnKart:
    """A ``.zip`` of what ``save_function(obj, folder)`` writes, loaded back by
    ``load_function(folder)`` (format ``model-zip``, from gokart-zip), staged under
    ``temporary_directory``."""
    _no_lock_params(task_lock_params)
    options = {
        "save_function": save_function,
        "load_function": load_function,
        "local_temporary_directory": temporary_directory,
    }
    return make_target_by_format(
        insert_unique_id(file_path, unique_id), format="model-zip", format_options=options
    )


__all__ = ["make_model_target", "make_target"]
