"""Hook specifications: every hook that gokart-core calls.

Each hook is prefixed ``gokart_``. A *firstresult* hook stops at the first implementation that
returns something other than ``None``; core's own implementations of those hooks are ``trylast``,
so an installed plugin always wins over the builtin, whatever the registration order.
A *collect-all* hook calls every implementation.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import IO, TYPE_CHECKING, Any

from gokart_core.plugin.markers import hookspec

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

    from gokart_core.locks.settings import LockSettings
    from gokart_core.runner.summary_data import BuildSummary
    from gokart_core.target.format import FormatChoice
    from gokart_core.target.leftovers import Leftover
    from gokart_core.target.registry import FormatRegistry
    from gokart_core.task import TaskOnKart


@hookspec
def gokart_register_formats(registry: FormatRegistry) -> None:
    """Register file formats (collect-all).

    Call ``registry.add(name, FormatClass | "pkg.module:Class", extensions=(".ext", ...))``.
    Prefer the ``"pkg.module:Class"`` string: the module is then imported only when a target of
    that format is first used, so installing many format plugins costs nothing at start-up.
    Registering a name or an extension that another plugin registered is an error unless one of
    the two passes ``override=True``; the overriding entry wins whatever the registration order.
    """


@hookspec(firstresult=True)
def gokart_resolve_format(
    path: str,
    format_name: str | None,
    options: Mapping[str, Any],
    registry: FormatRegistry,
) -> FormatChoice | None:
    """Return the format for ``path``: a :class:`~gokart_core.target.format.FormatChoice` of
    the :class:`~gokart_core.target.format.Format` instance and the suffix (and compression
    codec) it was chosen by, which the file name keeps after the unique id (firstresult).

    ``format_name`` is the format the task asked for explicitly, or ``None`` to decide by the
    path's suffix; ``options`` are the format options given to ``make_target``.
    Return ``None`` to let the next implementation decide. The builtin (trylast) asks the
    registry: an explicit name first, then the longest registered suffix of the file name.
    """


@hookspec(firstresult=True)
def gokart_get_filesystem(
    url: str, storage_options: Mapping[str, Any]
) -> tuple[AbstractFileSystem, str] | None:
    """Return ``(filesystem, path_on_that_filesystem)`` for ``url`` (firstresult).

    Return ``None`` to let the next implementation decide. The builtin (trylast) is
    ``fsspec.core.url_to_fs(url, **storage_options)``: a new protocol belongs in fsspec's own
    ``fsspec.specs`` entry points, not here. Implement this hook to share a configured
    filesystem instance, or to rewrite URLs.
    """


@hookspec(firstresult=True)
def gokart_file_exists(fs: AbstractFileSystem, path: str) -> bool | None:
    """Return whether a file (an output: never a folder) exists at ``path`` on ``fs``
    (firstresult).

    Return ``None`` for filesystems that are not your plugin's; the builtin (trylast) is
    ``fs.exists(path)``. Implement it where a store answers for a file in fewer requests than
    ``exists`` takes: s3fs's ``exists`` of a missing key sends a HEAD and then a listing of
    ``path/`` (a folder of that name would exist), where one HEAD tells a file. Raise what
    ``fs.exists`` raises for an error other than "not found" (a denied request, a server that
    does not answer).
    """


@hookspec(firstresult=True)
def gokart_atomic_writer(
    fs: AbstractFileSystem, path: str, metadata: Mapping[str, str]
) -> AbstractContextManager[IO[bytes]] | None:
    """Return a context manager that opens ``path`` on ``fs`` for binary writing and publishes
    the file there only when the ``with`` block succeeds (firstresult).

    ``metadata``: labels of the object, as strings (``task.dump(obj, custom_labels=...)`` with
    gokart's labels of the task's parameters, see :mod:`gokart_core.task.labels`; empty for
    other writes). A store with user metadata on its objects sets them on the published object,
    within its own limits (:func:`~gokart_core.plugin_api.fit_metadata`; gokart-gcs: GCS object
    metadata, gokart-s3: ``x-amz-meta-*``). Filesystems without (local disk, ``memory://``)
    ignore them, as gokart ignores labels off GCS.

    A reader must never see a partly written file at ``path``, whatever happens to the writer:
    an exception in the block, SIGKILL, a full disk; a failed write leaves ``path`` as it was
    and nothing else behind. Implement it for the filesystems of your storage plugin whose files
    publish on commit (see :mod:`gokart_core.target.object_store`). Return ``None`` for other
    filesystems; the builtin (trylast) writes a temporary file beside ``path`` and renames it:
    ``os.replace`` on local disk, ``fs.mv`` elsewhere. Call
    :func:`~gokart_core.plugin_api.before_publish` right before the file becomes visible: it
    raises when a lock held around the write was lost, and then nothing may be published.
    """


@hookspec(firstresult=True)
def gokart_make_target_lock(key: str, settings: LockSettings) -> AbstractContextManager[Any] | None:
    """Return the lock named ``key`` that guards one output (firstresult).

    ``key`` is gokart's ``{file name without extension}_{unique_id}``. The lock is entered
    around each ``dump`` and ``remove`` of the output, one operation at a time, so it must be
    re-enterable sequentially; it is held for one file operation, so it should wait for another
    holder (``settings.fail_fast`` is always False here). Reads take no lock: writes are atomic.

    A lock may define ``check_held()``, raising :class:`~gokart_core.LockError` when it is no
    longer held: gokart-core calls it right before publishing each output written under the lock
    (this one, or the run lock), so that a holder that lost its lock publishes nothing.

    Return ``None`` when this plugin does not lock (for example when it is not configured); the
    builtin (trylast) returns ``contextlib.nullcontext()``, or raises
    :class:`~gokart_core.PluginNotInstalledError` when ``settings`` name a lock server that no
    installed plugin serves.
    """


@hookspec(firstresult=True)
def gokart_make_run_lock(key: str, settings: LockSettings) -> AbstractContextManager[Any] | None:
    """Return the lock named ``key`` that is held around a task's ``run()`` (firstresult).

    Taken by ``RunWithLock`` and ``should_lock_run=True``; ``key`` is gokart's
    ``{ClassName}_{unique_id}-run``. With ``settings.fail_fast`` (``redis_fail``), a lock held
    by another must raise :class:`~gokart_core.TaskLockException` at once instead of waiting.

    Return ``None`` when this plugin does not lock; the builtin (trylast) is as for
    :func:`gokart_make_target_lock`.
    """


@hookspec
def gokart_find_leftovers(
    fs: AbstractFileSystem, path: str, older_than: float
) -> list[Leftover] | None:
    """Return what writers that died left under ``path`` on ``fs`` (collect-all): each a
    :class:`~gokart_core.target.leftovers.Leftover` that says where it is and removes itself.

    Asked by ``gokart-core clean``. Report only what no live writer uses: decided by a lock
    where there is one, else by age (at least ``older_than`` seconds since it last changed).
    Return ``None`` (or an empty list) for filesystems your plugin does not serve. The builtin
    reports core's temporary files on any filesystem; a storage plugin adds its store's own
    leftovers (gokart-s3: incomplete multipart uploads).
    """


@hookspec
def gokart_before_run(task: TaskOnKart[Any]) -> None:
    """Called in the worker process right before ``task.run()`` (collect-all)."""


@hookspec
def gokart_after_run(task: TaskOnKart[Any]) -> None:
    """Called after ``task.run()`` succeeded and its outputs exist (collect-all)."""


@hookspec
def gokart_on_failure(task: TaskOnKart[Any], exception: BaseException) -> None:
    """Called when ``task.run()`` raised ``exception`` (collect-all).

    The exception is re-raised by luigi afterwards; an implementation must not swallow it.
    """


@hookspec
def gokart_build_finished(summary: BuildSummary) -> None:
    """Called once per ``build()`` or ``run()``, in the building process, after luigi's build
    returned, whether it succeeded or not (collect-all).

    ``summary`` is a :class:`~gokart_core.plugin_api.BuildSummary`: the root tasks, every task
    scheduled with its status, family and significant parameters, each failure's exception and
    traceback (also of tasks that ran in forked children with ``workers>1``), the wall time and
    whether the build succeeded. It is collected only when some plugin implements this hook,
    and its ``tasks`` are described only when read (``statuses`` holds each one's status).
    Called before ``build()`` raises its ``GokartBuildError`` or returns, and before ``run()``
    exits. An implementation that raises is logged as a warning: it never fails the build nor
    keeps the other implementations from being called. Keep it short (a notification, a
    report): the build's caller waits for it.
    """
