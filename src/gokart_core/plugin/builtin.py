"""Core's own hook implementations. All are ``trylast``: any installed plugin wins."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import fsspec.core

from gokart_core.errors import PluginNotInstalledError
from gokart_core.plugin.markers import hookimpl

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

    from gokart_core.format import Format
    from gokart_core.registry import FormatRegistry
    from gokart_core.task import TaskOnKart


@hookimpl(trylast=True)
def gokart_resolve_format(
    path: str, format_name: str | None, options: Mapping[str, Any], registry: FormatRegistry
) -> Format:
    return registry.create(path, format_name, options)


@hookimpl(trylast=True)
def gokart_get_filesystem(
    url: str, storage_options: Mapping[str, Any]
) -> tuple[AbstractFileSystem, str]:
    fs, path = fsspec.core.url_to_fs(url, **storage_options)
    return fs, path


@hookimpl(trylast=True)
def gokart_make_lock(
    key: str, task: TaskOnKart[Any], run: bool
) -> contextlib.AbstractContextManager[Any]:
    if task.redis_host is not None and task.redis_port is not None:
        # Reached only when no lock plugin answered: locking was asked for and cannot be had.
        raise PluginNotInstalledError(
            f"{type(task).__name__} sets redis_host={task.redis_host!r} and "
            f"redis_port={task.redis_port!r}, but no lock plugin is installed: "
            "pip install gokart-redis"
        )
    return contextlib.nullcontext()
