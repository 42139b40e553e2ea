"""Core's own hook implementations. All are ``trylast``: any installed plugin wins."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import IO, TYPE_CHECKING, Any

import fsspec.core

from gokart_core.errors import PluginNotInstalledError
from gokart_core.plugin.install_hints import pip_install
from gokart_core.plugin.markers import hookimpl
from gokart_core.target import leftovers, storage

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

    from gokart_core.locks.settings import LockSettings
    from gokart_core.target.format import FormatChoice
    from gokart_core.target.registry import FormatRegistry


@hookimpl(trylast=True)
def gokart_resolve_format(
    path: str, format_name: str | None, options: Mapping[str, Any], registry: FormatRegistry
) -> FormatChoice:
    return registry.choose(path, format_name, options)


@hookimpl(trylast=True)
def gokart_get_filesystem(
    url: str, storage_options: Mapping[str, Any]
) -> tuple[AbstractFileSystem, str]:
    fs, path = fsspec.core.url_to_fs(url, **storage_options)
    return fs, path


@hookimpl(trylast=True)
def gokart_file_exists(fs: AbstractFileSystem, path: str) -> bool:
    return bool(fs.exists(path))


@hookimpl(trylast=True)
def gokart_atomic_writer(
    fs: AbstractFileSystem, path: str
) -> contextlib.AbstractContextManager[IO[bytes]]:
    return storage.default_atomic_write(fs, path)


@hookimpl
def gokart_find_leftovers(
    fs: AbstractFileSystem, path: str, older_than: float
) -> list[leftovers.Leftover]:
    return leftovers.find_temporaries(fs, path, older_than)


def _no_lock(key: str, settings: LockSettings) -> contextlib.AbstractContextManager[Any]:
    if settings.server_given:
        # Reached only when no lock plugin answered: locking was asked for and cannot be had.
        raise PluginNotInstalledError(
            f"{settings.owner or 'a task'} sets redis_host={settings.host!r} and "
            f"redis_port={settings.port!r} (lock {key!r}), but no lock plugin is installed: "
            + pip_install("gokart-redis")
        )
    return contextlib.nullcontext()


@hookimpl(trylast=True)
def gokart_make_target_lock(
    key: str, settings: LockSettings
) -> contextlib.AbstractContextManager[Any]:
    return _no_lock(key, settings)


@hookimpl(trylast=True)
def gokart_make_run_lock(
    key: str, settings: LockSettings
) -> contextlib.AbstractContextManager[Any]:
    return _no_lock(key, settings)
