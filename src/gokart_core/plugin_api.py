"""Everything a plugin of gokart-core uses, in one import: ``from gokart_core import plugin_api``.

A format plugin subclasses :class:`Format` and registers it in ``gokart_register_formats``; a
storage plugin answers ``gokart_get_filesystem`` (merging its config section with a task's
``storage_options``) and, for an object store, ``gokart_atomic_writer`` (:class:`ObjectStore`
does both); a lock plugin answers ``gokart_make_target_lock`` and
``gokart_make_run_lock`` (told a key and :class:`LockSettings`; a lock with a ``check_held()``
method is asked right before each output written under it is published, and a storage plugin's
own atomic writer calls :func:`before_publish` right before it publishes, and may report its
store's own leftovers to ``gokart-core clean`` as :class:`Leftover`; a format that stages files
locally makes its folder with :func:`staging_folder`); a store that keeps labels fits them with
:func:`fit_metadata`. A plugin that reports on builds answers ``gokart_build_finished``, told a
:class:`BuildSummary` of :class:`TaskSummary` (:func:`make_tree_info` prints a task's dependency
tree). Each hook is marked with :data:`hookimpl`; the contracts are in
:mod:`gokart_core.plugin.spec`. A plugin imports nothing else from gokart-core: what is here is
kept stable for plugins, the rest may move.
"""

from __future__ import annotations

from gokart_core.errors import (
    DumpError,
    GokartError,
    LoadError,
    LockError,
    PluginNotInstalledError,
    TaskLockException,
    UnsupportedObjectError,
)
from gokart_core.info import make_tree_info
from gokart_core.locks.held import before_publish
from gokart_core.locks.settings import LockSettings
from gokart_core.plugin.markers import hookimpl
from gokart_core.runner.summary_data import BuildSummary, TaskSummary
from gokart_core.target.format import Format, FormatChoice, FormatContext
from gokart_core.target.leftovers import Leftover, staging_folder
from gokart_core.target.object_store import ObjectStore, commit_on_success, fit_metadata
from gokart_core.target.registry import FormatRegistry
from gokart_core.target.storage import atomic_write, is_local, merge_storage_options, thaw
from gokart_core.task.basic_parameters import mask_url_password

__all__ = [
    "BuildSummary",
    "DumpError",
    "Format",
    "FormatChoice",
    "FormatContext",
    "FormatRegistry",
    "GokartError",
    "Leftover",
    "LoadError",
    "LockError",
    "LockSettings",
    "ObjectStore",
    "PluginNotInstalledError",
    "TaskLockException",
    "TaskSummary",
    "UnsupportedObjectError",
    "atomic_write",
    "before_publish",
    "commit_on_success",
    "fit_metadata",
    "hookimpl",
    "is_local",
    "make_tree_info",
    "mask_url_password",
    "merge_storage_options",
    "staging_folder",
    "thaw",
]
