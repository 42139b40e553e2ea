"""gokart-core: luigi tasks whose outputs are cached by a hash of their parameters.

``import gokart_core as gokart`` runs code written for gokart's documented API.
Importing this package loads no plugin: the plugin manager is built on first use.
"""

from gokart_core.build import GokartBuildError, build, run
from gokart_core.errors import (
    DumpError,
    FormatRegistrationError,
    GokartError,
    LoadError,
    LockError,
    PluginNotInstalledError,
    TargetNotFoundError,
    TaskLockException,
    UnknownFormatError,
    UnsupportedObjectError,
)
from gokart_core.format import Format
from gokart_core.parameters import ExplicitBoolParameter
from gokart_core.plugin.manager import get_plugin_manager, make_plugin_manager
from gokart_core.plugin.markers import hookimpl, hookspec
from gokart_core.registry import FormatRegistry
from gokart_core.run_with_lock import RunWithLock
from gokart_core.target import TargetOnKart, make_target
from gokart_core.task import TaskOnKart

__version__ = "0.1.0"

__all__ = [
    "DumpError",
    "ExplicitBoolParameter",
    "Format",
    "FormatRegistrationError",
    "FormatRegistry",
    "GokartBuildError",
    "GokartError",
    "LoadError",
    "LockError",
    "PluginNotInstalledError",
    "RunWithLock",
    "TargetNotFoundError",
    "TargetOnKart",
    "TaskLockException",
    "TaskOnKart",
    "UnknownFormatError",
    "UnsupportedObjectError",
    "__version__",
    "build",
    "get_plugin_manager",
    "hookimpl",
    "hookspec",
    "make_plugin_manager",
    "make_target",
    "run",
]
