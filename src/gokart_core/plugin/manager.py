"""Building the plugin manager, and a thin facade whose methods forward to ``pm.hook.*``.

Nothing here runs at import time: the default manager is built on first use, so importing
gokart_core never imports a plugin. Two environment variables control loading:

- ``GOKART_CORE_DISABLE_PLUGIN_AUTOLOAD=1``: load no entry points (only core's builtins);
- ``GOKART_CORE_DISABLED_PLUGINS=name,name``: block those entry point names.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import IO, TYPE_CHECKING, Any, cast

import pluggy

from gokart_core import forksafe
from gokart_core.plugin import spec
from gokart_core.plugin.markers import NAME
from gokart_core.target.registry import FormatRegistry

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

    from gokart_core.locks.settings import LockSettings
    from gokart_core.target.format import FormatChoice
    from gokart_core.target.leftovers import Leftover
    from gokart_core.task import TaskOnKart

#: Core's own plugins, registered before any entry point, by module name as entry points are:
#: imported when a manager is first built (never at ``import gokart_core``), and free to
#: import any layer of core, which the manager itself must not.
BUILTIN_PLUGINS: tuple[str, ...] = ("gokart_core.plugin.builtin", "gokart_core.plugin.logs")

DISABLE_AUTOLOAD_ENV = "GOKART_CORE_DISABLE_PLUGIN_AUTOLOAD"
DISABLED_PLUGINS_ENV = "GOKART_CORE_DISABLED_PLUGINS"


def make_plugin_manager(
    load_entrypoints: bool = True, plugins: Iterable[object] = ()
) -> pluggy.PluginManager:
    """A new plugin manager with core's builtins, the given ``plugins`` and (unless disabled)
    every plugin of the ``gokart_core`` entry point group."""
    pm = pluggy.PluginManager(NAME)
    pm.add_hookspecs(spec)
    for module in BUILTIN_PLUGINS:
        pm.register(importlib.import_module(module), name=f"{NAME}.{module.rsplit('.', 1)[-1]}")
    for name in filter(
        None, (n.strip() for n in os.environ.get(DISABLED_PLUGINS_ENV, "").split(","))
    ):
        pm.set_blocked(name)
    for plugin in plugins:
        pm.register(plugin)
    if load_entrypoints and os.environ.get(DISABLE_AUTOLOAD_ENV, "") not in ("1", "true", "True"):
        pm.load_setuptools_entrypoints(NAME)
    # A misspelled hook name in a plugin fails here, not silently.
    pm.check_pending()
    return pm


class _Locks:
    """The module's locks, made again in a forked child: one held by a parent's thread at the
    fork would never be released there."""

    def __init__(self) -> None:
        self.reset()
        forksafe.at_fork_in_child(self.reset)

    def reset(self) -> None:
        self.default = threading.Lock()  # building the process-wide plugins
        self.registry = threading.Lock()  # filling a format registry


_locks = _Locks()


class Plugins:
    """The hooks as gokart-core uses them. One instance per plugin manager."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm
        self._registry: FormatRegistry | None = None

    @property
    def formats(self) -> FormatRegistry:
        """The format registry, filled by ``gokart_register_formats`` on first use."""
        if self._registry is None:
            with _locks.registry:
                if self._registry is None:
                    registry = FormatRegistry()
                    self.pm.hook.gokart_register_formats(registry=registry)
                    self._registry = registry
        return self._registry

    def resolve_format(
        self, path: str, format_name: str | None, options: Mapping[str, Any]
    ) -> FormatChoice:
        return cast(
            "FormatChoice",
            self.pm.hook.gokart_resolve_format(
                path=path, format_name=format_name, options=options, registry=self.formats
            ),
        )

    def filesystem(
        self, url: str, storage_options: Mapping[str, Any]
    ) -> tuple[AbstractFileSystem, str]:
        """The hook's answer, with a filesystem of this process: one that the answering plugin
        made in a parent process (before luigi forked this one) is made again here."""
        fs, path = cast(
            "tuple[AbstractFileSystem, str]",
            self.pm.hook.gokart_get_filesystem(url=url, storage_options=storage_options),
        )
        return forksafe.own_filesystem(fs), path

    def file_exists(self, fs: AbstractFileSystem, path: str) -> bool:
        return bool(self.pm.hook.gokart_file_exists(fs=fs, path=path))

    def atomic_writer(
        self, fs: AbstractFileSystem, path: str, metadata: Mapping[str, str] | None = None
    ) -> AbstractContextManager[IO[bytes]]:
        return cast(
            "AbstractContextManager[IO[bytes]]",
            self.pm.hook.gokart_atomic_writer(fs=fs, path=path, metadata=metadata or {}),
        )

    def find_leftovers(
        self, fs: AbstractFileSystem, path: str, older_than: float
    ) -> list[Leftover]:
        found = self.pm.hook.gokart_find_leftovers(fs=fs, path=path, older_than=older_than)
        return [leftover for answer in found for leftover in answer]

    def make_target_lock(self, key: str, settings: LockSettings) -> AbstractContextManager[Any]:
        return cast(
            "AbstractContextManager[Any]",
            self.pm.hook.gokart_make_target_lock(key=key, settings=settings),
        )

    def make_run_lock(self, key: str, settings: LockSettings) -> AbstractContextManager[Any]:
        return cast(
            "AbstractContextManager[Any]",
            self.pm.hook.gokart_make_run_lock(key=key, settings=settings),
        )

    def before_run(self, task: TaskOnKart[Any]) -> None:
        self.pm.hook.gokart_before_run(task=task)

    def after_run(self, task: TaskOnKart[Any]) -> None:
        self.pm.hook.gokart_after_run(task=task)

    def on_failure(self, task: TaskOnKart[Any], exception: BaseException) -> None:
        self.pm.hook.gokart_on_failure(task=task, exception=exception)


_default: Plugins | None = None


def get_plugins() -> Plugins:
    """The process-wide plugins, built on first call."""
    global _default
    if _default is None:
        with _locks.default:
            if _default is None:
                _default = Plugins(make_plugin_manager())
    return _default


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, built on first call."""
    return get_plugins().pm


def reset_plugins() -> None:
    """Forget the process-wide plugins; the next use loads the entry points again."""
    global _default
    with _locks.default:
        _default = None


@contextmanager
def use_plugin_manager(pm: pluggy.PluginManager) -> Iterator[Plugins]:
    """Make ``pm`` the process-wide plugin manager inside the ``with`` block (for tests)."""
    global _default
    with _locks.default:
        previous, _default = _default, Plugins(pm)
        plugins = _default
    try:
        yield plugins
    finally:
        with _locks.default:
            _default = previous
