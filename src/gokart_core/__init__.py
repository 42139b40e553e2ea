"""gokart-core: luigi tasks whose outputs are cached by a hash of their parameters.

``import gokart_core as gokart`` runs code written for gokart's documented API.
Importing this package loads no plugin: the plugin manager is built on first use.
"""

import gokart_core.build  # noqa: F401 - the module gokart.build first; the name: the function
from gokart_core.errors import (
    DumpError,
    FormatRegistrationError,
    GokartBuildError,
    GokartError,
    LoadError,
    LockError,
    OutsideWorkspaceError,
    PandasTypeError,
    PluginNotInstalledError,
    ProcessLocalStorageError,
    TargetNotFoundError,
    TaskDefinitionError,
    TaskLockException,
    UnknownFormatError,
    UnsupportedObjectError,
)
from gokart_core.graph.tree import (
    make_task_graph,
    make_task_info_as_table,
    make_task_info_as_tree_str,
)
from gokart_core.info import make_tree_info, tree_info
from gokart_core.locks.run_lock import RunWithLock
from gokart_core.plugin.manager import get_plugin_manager, make_plugin_manager
from gokart_core.plugin.markers import hookimpl, hookspec
from gokart_core.runner.build import build
from gokart_core.runner.command_line import run
from gokart_core.runner.config import add_config
from gokart_core.runner.unnecessary_outputs import delete_local_unnecessary_outputs
from gokart_core.target.format import Format, FormatChoice, FormatContext
from gokart_core.target.registry import FormatRegistry
from gokart_core.target.target import TargetOnKart, make_target
from gokart_core.task import TaskOnKart
from gokart_core.task.basic_parameters import (
    ExplicitBoolParameter,
    SerializableParameter,
    ZonedDateSecondParameter,
)
from gokart_core.task.config_params import inherits_config_params
from gokart_core.task.pandas_type_config import PandasTypeConfig
from gokart_core.task.task_parameters import ListTaskInstanceParameter, TaskInstanceParameter
from gokart_core.testing.empty_data_frame import test_run

__version__ = "0.1.0"

__all__ = [
    "DumpError",
    "ExplicitBoolParameter",
    "Format",
    "FormatChoice",
    "FormatContext",
    "FormatRegistrationError",
    "FormatRegistry",
    "GokartBuildError",
    "GokartError",
    "ListTaskInstanceParameter",
    "LoadError",
    "LockError",
    "OutsideWorkspaceError",
    "PandasTypeConfig",
    "PandasTypeError",
    "PluginNotInstalledError",
    "ProcessLocalStorageError",
    "RunWithLock",
    "SerializableParameter",
    "TargetNotFoundError",
    "TargetOnKart",
    "TaskDefinitionError",
    "TaskInstanceParameter",
    "TaskLockException",
    "TaskOnKart",
    "UnknownFormatError",
    "UnsupportedObjectError",
    "ZonedDateSecondParameter",
    "__version__",
    "add_config",
    "build",
    "delete_local_unnecessary_outputs",
    "get_plugin_manager",
    "hookimpl",
    "hookspec",
    "inherits_config_params",
    "make_plugin_manager",
    "make_target",
    "make_task_graph",
    "make_task_info_as_table",
    "make_task_info_as_tree_str",
    "make_tree_info",
    "run",
    "test_run",
    "tree_info",
]
