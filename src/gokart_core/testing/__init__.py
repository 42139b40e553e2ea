"""Test helpers for plugin authors, registered as a pytest plugin (entry point ``pytest11``).

Fixtures (from :mod:`gokart_core.testing.plugin`): ``gokart_plugins`` (a plugin manager with only
core's builtins, made the process-wide one for the test), ``memory_workspace`` and
``local_workspace``. The conformance base class :class:`FormatConformance` gives a format plugin's
tests round-trip, atomic-write and error tests by subclassing; :class:`LockConformance` gives a
lock plugin's tests multi-process contention tests; :class:`StorageConformance` runs one suite
against a storage plugin's workspace (and core's tests run it on a local folder and ``memory://``).
"""

from gokart_core.testing.conformance import FormatConformance
from gokart_core.testing.locks import LockConformance, LockPipeline
from gokart_core.testing.plugin import builtins_only_plugin_manager
from gokart_core.testing.storage import StorageConformance

__all__ = [
    "FormatConformance",
    "LockConformance",
    "LockPipeline",
    "StorageConformance",
    "builtins_only_plugin_manager",
]
