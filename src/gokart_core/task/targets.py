"""A task's targets: where ``make_target`` puts a file, with which format, lock and type."""

from __future__ import annotations

import functools
import os
import typing
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from gokart_core.file_processor import FileProcessor
from gokart_core.locks.keys import make_lock_key
from gokart_core.locks.settings import lock_settings
from gokart_core.plugin.manager import get_plugins
from gokart_core.target.format import Format
from gokart_core.target.target import TargetOnKart, make_target, resolve_format
from gokart_core.task.kind import KartTask
from gokart_core.task.paths import workspace_file
from gokart_core.task.unique_id import insert_unique_id

if TYPE_CHECKING:
    from gokart_core.task.task import TaskOnKart


def default_path(task: TaskOnKart[Any], extension: str) -> str:
    """``{module path}/{ClassName}{extension}``: where a task's output goes by default."""
    return os.path.join(
        type(task).__module__.replace(".", "/"), f"{type(task).__name__}{extension}"
    )


def task_target(
    task: TaskOnKart[Any],
    relative_file_path: str,
    use_unique_id: bool,
    format: str | Format | FileProcessor | None,
    format_options: Mapping[str, Any] | None,
) -> TargetOnKart:
    """The target at ``{workspace_directory}/{relative_file_path}``, made once per task.

    luigi asks for ``output()`` many times per build; a target made once per instance keeps
    its format, filesystem and lock. Keyed by the plugins too: tests swap them.
    """
    plugins = get_plugins()
    if isinstance(format, FileProcessor):  # gokart's processor: a format's name and options
        format_options = {**format.format_options, **(format_options or {})}
        format = format.format_name
    format_options = _with_task_options(task, relative_file_path, format, format_options)
    frozen = None if format_options is None else tuple(sorted(format_options.items()))
    try:
        key: Any = (plugins, relative_file_path, use_unique_id, format, frozen)
        # Without the cache of unique ids, the id (and so the path) may change between calls.
        cached = task._targets.get(key) if task.cache_unique_id else None
    except TypeError:  # unhashable format options: made anew each time
        key, cached = None, None
    if cached is not None:
        return cached
    file_path = workspace_file(
        task.workspace_directory,
        relative_file_path,
        owner=type(task).__name__,
        allow_outside=type(task).allow_outside_workspace,
    )
    choice = resolve_format(file_path, format, format_options)
    unique_id = task.make_unique_id() if use_unique_id else None
    lock_key = make_lock_key(file_path, unique_id)
    target = make_target(
        insert_unique_id(file_path, unique_id, choice.suffix),
        format=choice,
        lock=functools.partial(plugins.make_target_lock, lock_key, lock_settings(task, run=False)),
        lock_key=lock_key,
        storage_options=task.storage_options,
        declared_type=None if isinstance(format, Format) else declared_output_type(type(task)),
    )
    # Ask for the lock now (it connects to nothing yet): a lock that cannot be had, such as
    # redis settings without gokart-redis, fails at scheduling, not after a long run().
    target.lock()
    if key is not None and task.cache_unique_id:
        task._targets[key] = target
    return target


def _with_task_options(
    task: TaskOnKart[Any],
    path: str,
    format: str | Format | None,
    format_options: Mapping[str, Any] | None,
) -> Mapping[str, Any] | None:
    """``format_options`` with the task's own options of the format: ``store_index_in_feather``
    for a ``.feather`` file (gokart's task parameter), unless the options say otherwise. Only a
    value other than the format's default is added, so that other formats never see it."""
    if task.store_index_in_feather or format not in (None, "feather"):
        return format_options
    if format is None and not path.lower().endswith(".feather"):
        return format_options
    return {"store_index_in_feather": False, **(format_options or {})}


def model_target(
    task: TaskOnKart[Any],
    relative_file_path: str,
    save_function: Callable[[Any, str], Any],
    load_function: Callable[[str], Any],
    use_unique_id: bool,
) -> TargetOnKart:
    if not relative_file_path.lower().endswith(".zip"):
        raise ValueError(
            f"{type(task).__name__}.make_model_target({relative_file_path!r}): the path must "
            "end in '.zip' (the saved files are zipped into it)"
        )
    options = {
        "save_function": save_function,
        "load_function": load_function,
        "local_temporary_directory": task.local_temporary_directory,
    }
    return task.make_target(
        relative_file_path, use_unique_id, format="model-zip", format_options=options
    )


def large_data_frame_target(
    task: TaskOnKart[Any], relative_file_path: str | None, use_unique_id: bool, max_byte: int
) -> TargetOnKart:
    options = {"max_byte": max_byte, "local_temporary_directory": task.local_temporary_directory}
    return task.make_target(
        relative_file_path or default_path(task, ".zip"),
        use_unique_id,
        format="large-data-frame",
        format_options=options,
    )


@functools.cache
def declared_output_type(cls: type) -> Any:
    """``T`` of the nearest ``TaskOnKart[T]`` base of ``cls``, or None (undeclared or a TypeVar)."""
    for klass in cls.__mro__:
        for base in getattr(klass, "__orig_bases__", ()):
            origin = typing.get_origin(base)
            # TaskOnKart itself, the one class with KartTask as a direct base.
            if isinstance(origin, type) and KartTask in origin.__bases__:
                (arg,) = typing.get_args(base)
                return None if isinstance(arg, TypeVar) or arg is Any else arg
    return None
