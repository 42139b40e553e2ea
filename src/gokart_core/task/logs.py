"""A task's supplementary log files, in gokart's layout, and ``restore`` from them.

Unless ``should_dump_supplementary_log_files=False``, a TaskOnKart writes these files under
``{workspace_directory}/log/``, where and when gokart 1.12 writes them::

    task_params/{ClassName}_{unique_id}.pkl       to_str_params(only_significant=True), a dict
    module_versions/{ClassName}_{unique_id}.txt   "name==version" lines of the imported packages
    processing_time/{ClassName}_{unique_id}.pkl   seconds spent in run(), a float
    task_log/{ClassName}_{unique_id}.pkl          task.task_log, plus "file_path": output paths
    random_seed/{ClassName}_{unique_id}.pkl       {"seed": ..., "seed_methods": [...]}

- When the task starts (luigi's START event, before ``run()``): ``random_seed`` (once the
  seeds are set: :mod:`gokart_core.task.random_seed`), ``task_params`` and
  ``module_versions``. A run that fails has therefore logged its parameters, and
  ``Task.restore(unique_id)`` recreates it for debugging.
- When ``run()`` succeeds: ``processing_time`` and ``task_log``, and ``module_versions`` again
  if ``run()`` imported packages (the file then lists them too).
- When it fails: no file; the task's name and unique id are logged (INFO, as gokart does).

A run that finds its outputs already written by another worker is skipped, and writes nothing
at success: the other worker's ``processing_time`` and ``task_log`` stay. Its START has
happened before ``run()`` could know, and has written, as gokart does: ``task_params`` is the
same for every run of a unique id (the parameters are part of the id), so rewriting it changes
nothing; ``module_versions`` then names the packages of the worker that started the task last,
which differ from those of the worker that ran it only when workers run different package
versions. Not writing at START would lose the parameters of failed runs; checking for an
existing file first would cost a round trip per task on object storage.

They are ordinary targets: ``.pkl`` and ``.txt`` go through the format registry. The core
depends on no format plugin, so a log file whose format is not installed is skipped (one
debug-level line), and a log that cannot be written is a warning: the task keeps running, and
keeps its success.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

import luigi.task

from gokart_core import forksafe, luigi_internals
from gokart_core.errors import PluginNotInstalledError, TargetNotFoundError, UnknownFormatError
from gokart_core.plugin.manager import Plugins, get_plugins
from gokart_core.target import storage
from gokart_core.target.format import FormatContext
from gokart_core.target.target import TargetOnKart, make_target
from gokart_core.task import lookup, random_seed

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

    from gokart_core.target.format import FormatChoice
    from gokart_core.task import TaskOnKart

logger = logging.getLogger(__name__)

TaskT = TypeVar("TaskT", bound="TaskOnKart[Any]")

#: Log kind -> file extension, in gokart's layout ``log/{kind}/{ClassName}_{unique_id}{ext}``.
LOG_FILES: dict[str, str] = {
    "processing_time": ".pkl",
    "task_params": ".pkl",
    "module_versions": ".txt",
    "task_log": ".pkl",
    "random_seed": ".pkl",
}


def log_target(task: TaskOnKart[Any], kind: str) -> TargetOnKart | None:
    """The target of one log file of ``task``, or None when its format is not installed."""
    return log_targets(task, (kind,)).get(kind)


def log_targets(task: TaskOnKart[Any], kinds: Iterable[str]) -> dict[str, TargetOnKart]:
    """The targets of the log files ``kinds`` of ``task`` whose format is installed.

    Their paths are what ``task.make_target(f"log/{kind}/{ClassName}{ext}")`` gives. Logs are
    written for every task, so what does not change between tasks is resolved once per plugin
    manager: the format of each kind of log file (from its extension, through the registry) and
    the filesystem of each workspace's log folder (through ``gokart_get_filesystem``). The
    targets have no lock: a log is written atomically, the last run's log is the one to keep,
    and a lock per log file would cost more than the write.
    """
    cache = _cache()
    folder = os.path.join(task.workspace_directory, "log")
    options = task.storage_options
    try:
        key: Any = (folder, options, os.getcwd())  # a relative folder depends on the cwd
        resolved = cache.folders.get(key)
    except TypeError:  # unhashable storage options: resolved for each task
        key = resolved = None
    if resolved is None:
        resolved = cache.plugins.filesystem(folder, storage.thaw(options))
        if key is not None:
            cache.folders[key] = resolved
    fs, fs_folder = resolved
    stem = f"{type(task).__name__}_{task.make_unique_id()}"
    targets = {}
    for kind in kinds:
        if kind in cache.formats:
            fmt = cache.formats[kind]
        else:
            fmt = cache.formats[kind] = _log_format(cache.plugins, kind)
        if fmt is None:
            continue
        name = f"{kind}/{stem}{LOG_FILES[kind]}"
        path = f"{folder}/{name}"
        targets[kind] = TargetOnKart(
            path,
            fmt.format,
            context=FormatContext(path, fmt.suffix, fmt.compression),
            storage_options=options,
            filesystem=(fs, f"{fs_folder}/{name}"),
        )
    return targets


class _Cache:
    def __init__(self, plugins: Plugins) -> None:
        self.plugins = plugins
        self.generation = forksafe.generation()  # its filesystems are this process's
        self.formats: dict[str, FormatChoice | None] = {}
        self.folders: dict[Any, tuple[AbstractFileSystem, str]] = {}


_current: _Cache | None = None


def _cache() -> _Cache:
    """The cache of the current plugins (tests swap them; a new manager starts a new cache),
    made again in a forked child (the parent's filesystems are not the child's)."""
    global _current
    plugins = get_plugins()
    cache = _current
    if cache is None or cache.plugins is not plugins or cache.generation != forksafe.generation():
        cache = _current = _Cache(plugins)
    return cache


def _log_format(plugins: Plugins, kind: str) -> FormatChoice | None:
    try:
        return plugins.resolve_format(f"log{LOG_FILES[kind]}", None, {})
    except (UnknownFormatError, PluginNotInstalledError) as exc:
        logger.debug("no %s log files are written, their format is not installed: %s", kind, exc)
        return None


#: The ``module_versions`` text a task's START logged, kept on the instance (see
#: ``dump_success_logs``). luigi reuses an instance for the same parameters; every START resets it.
_LOGGED_VERSIONS = "_gokart_core_logged_module_versions"


def dump_start_logs(task: TaskOnKart[Any]) -> None:
    """Seed ``task``'s random generators, then write ``random_seed``, ``task_params`` and
    ``module_versions`` of ``task``, which is about to run."""
    seeded = random_seed.fix_random_seed(task)
    versions = module_versions()
    task.__dict__[_LOGGED_VERSIONS] = versions
    _dump(
        task,
        {
            "random_seed": seeded,
            "task_params": task.to_str_params(only_significant=True),
            "module_versions": versions,
        },
    )


def dump_success_logs(task: TaskOnKart[Any], processing_time: float | None) -> None:
    """Write ``processing_time`` and ``task_log`` of ``task``, whose ``run()`` succeeded, and
    ``module_versions`` again when ``run()`` imported packages since the START logged them."""
    task.task_log["file_path"] = [_target_path(t) for t in luigi.task.flatten(task.output())]
    contents: dict[str, Any] = {"task_log": task.task_log}
    if processing_time is not None:
        contents["processing_time"] = processing_time
    versions = module_versions()  # the same str object while no module was imported: == is O(1)
    if versions != task.__dict__.get(_LOGGED_VERSIONS):
        contents["module_versions"] = versions
    _dump(task, contents)


def log_failure(task: TaskOnKart[Any]) -> None:
    """Log the name and unique id of ``task``, whose run failed: what ``restore`` needs."""
    logger.info(
        "FAILURE:\n    task name=%s\n    unique id=%s", type(task).__name__, task.make_unique_id()
    )


def _dump(task: TaskOnKart[Any], contents: dict[str, Any]) -> None:
    targets = log_targets(task, contents)

    def write(kind: str) -> None:
        target = targets[kind]
        try:
            target.dump(contents[kind])
        except Exception as exc:
            logger.warning("%s: cannot write its %s log %s: %s", task, kind, target.path(), exc)

    first = next(iter(targets.values()), None)
    if len(targets) < 2 or first is None or storage.is_local(first.fs):
        for kind in targets:
            write(kind)
        return
    # On an object store each file is a round trip (10-50 ms): at once, they cost one.
    with ThreadPoolExecutor(max_workers=len(targets), thread_name_prefix="gokart-logs") as pool:
        list(pool.map(write, targets))


def _target_path(target: Any) -> str:
    path = target.path  # a method of TargetOnKart, an attribute of luigi's own targets
    return str(path() if callable(path) else path)


_versions: tuple[int, str] = (-1, "")  # (len(sys.modules) when computed, the text)

#: The standard library's modules: their versions are Python's.
_STDLIB = frozenset(sys.stdlib_module_names)


def module_versions() -> str:
    """``name==version`` lines, sorted, of the imported top-level packages outside the standard
    library that declare a ``__version__``.

    Computed again only when modules were imported since the last call: every task's log asks.
    (gokart means to write the same, but its file is always empty.)
    """
    global _versions
    modules = sys.modules
    count = len(modules)
    cached_count, cached = _versions
    if cached_count == count:
        return cached
    lines = []
    for name, module in list(modules.items()):
        if "." in name or name.startswith("_") or module is None or name in _STDLIB:
            continue
        # The module's own dict: a module-level __getattr__ may import things or warn.
        version = getattr(module, "__dict__", {}).get("__version__")
        if isinstance(version, str):
            lines.append(f"{name}=={version.split(' ')[0]}")
        elif isinstance(version, (tuple, list)):
            lines.append(f"{name}=={'.'.join(str(v) for v in version)}")
    text = "\n".join(sorted(lines))
    _versions = (count, text)
    return text


def restore(cls: type[TaskT], unique_id: str) -> TaskT:
    """The task of class ``cls`` whose logged parameters are those of ``unique_id``.

    The log is read from the workspace that ``cls`` gets from the configuration (its own config
    section, ``[TaskOnKart]``, the command line, or the default), as gokart reads it. A task
    parameter nested more than ``GOKART_COMPATIBLE_NESTING`` (200) levels deep was logged as a
    digest, and parsing it raises ValueError: such a task cannot be restored.
    """
    workspace = _configured_value(cls, "workspace_directory")
    storage_options = _configured_value(cls, "storage_options")
    path = os.path.join(workspace, f"log/task_params/{cls.__name__}_{unique_id}.pkl")
    target = make_target(path, storage_options=storage_options)  # the registry names the path
    if not target.exists():
        raise TargetNotFoundError(
            f"{cls.__name__}.restore({unique_id!r}): no logged parameters at {path!r} (was the "
            "task run in this workspace, with should_dump_supplementary_log_files=True?)"
        )
    params = target.load()
    if not isinstance(params, dict):
        raise TypeError(
            f"{cls.__name__}.restore({unique_id!r}): {path!r} holds "
            f"{type(params).__name__}, not a dict of parameters"
        )
    restored: TaskT = cls.from_str_params(params)
    return restored


def _configured_value(cls: type[TaskOnKart[Any]], name: str) -> Any:
    """The value an instance of ``cls`` would get for the insignificant parameter ``name`` when
    not passed explicitly, with the same precedence as ``TaskOnKart.__init__``."""
    shared: dict[str, Any] = {}
    # [TaskOnKart], unless the command line or own section say otherwise
    lookup.apply_shared_config(cls, shared)
    if name in shared:
        return shared[name]
    param = dict(cls.get_params())[name]
    family = cls.get_task_family()
    value = luigi_internals.lookup_value(param, family, name)
    return param.normalize(value)


def read_log(task: TaskOnKart[Any], kind: str) -> Any:
    """What ``task``'s last run logged as ``kind``, or None (no such log, or its format is not
    installed)."""
    target = log_target(task, kind)
    if target is not None and target.exists():
        return target.load()
    return None
