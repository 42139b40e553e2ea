"""Test helpers for plugin authors, registered as a pytest plugin (entry point ``pytest11``).

Fixtures (from :mod:`gokart_core.testing.plugin`): ``gokart_plugins`` (a plugin manager with only
core's builtins, made the process-wide one for the test), ``memory_workspace`` and
``local_workspace``. The conformance base class :class:`FormatConformance` gives a format plugin's
tests round-trip, atomic-write and error tests by subclassing.
"""

from gokart_core.testing.conformance import FormatConformance
from gokart_core.testing.plugin import builtins_only_plugin_manager

__all__ = ["FormatConformance", "builtins_only_plugin_manager"]
