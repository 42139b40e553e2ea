"""Test helpers: for pipeline authors, gokart's (:func:`test_run`, a test run of a pipeline on
the command line, and :func:`assert_frame_contents_equal`); for plugin authors, conformance
suites and fixtures, registered as a pytest plugin (entry point ``pytest11``).

Fixtures (from :mod:`gokart_core.testing.plugin`): ``gokart_plugins`` (a plugin manager with only
core's builtins, made the process-wide one for the test), ``memory_workspace`` and
``local_workspace``. The conformance base class :class:`FormatConformance` gives a format plugin's
tests round-trip, atomic-write and error tests by subclassing; :class:`LockConformance` gives a
lock plugin's tests multi-process contention tests; :class:`StorageConformance` runs one suite
against a storage plugin's workspace (and core's tests run it on a local folder and ``memory://``).

Names are imported on first use: the plugin authors' helpers need pytest, the command line's
test run (``run()`` imports it) must not.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gokart_core.testing.conformance import FormatConformance
    from gokart_core.testing.empty_data_frame import test_run, try_to_run_test_for_empty_data_frame
    from gokart_core.testing.locks import LockConformance, LockPipeline
    from gokart_core.testing.pandas_assert import assert_frame_contents_equal
    from gokart_core.testing.plugin import builtins_only_plugin_manager
    from gokart_core.testing.storage import StorageConformance

#: name -> the module of this package that defines it.
_WHERE = {
    "FormatConformance": "conformance",
    "LockConformance": "locks",
    "LockPipeline": "locks",
    "StorageConformance": "storage",
    "assert_frame_contents_equal": "pandas_assert",
    "builtins_only_plugin_manager": "plugin",
    "test_run": "empty_data_frame",
    "try_to_run_test_for_empty_data_frame": "empty_data_frame",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "FormatConformance",
    "LockConformance",
    "LockPipeline",
    "StorageConformance",
    "assert_frame_contents_equal",
    "builtins_only_plugin_manager",
    "test_run",
    "try_to_run_test_for_empty_data_frame",
]
