"""A TaskOnKart's parameters: how it gets their values (luigi's lookup, a fast path for the
common case, the ``[TaskOnKart]`` config section that applies to every subclass), the tasks
given as parameters (gokart's default ``requires()``), and how a task shows them."""

from __future__ import annotations

from typing import Any

import luigi
import luigi.configuration
from luigi.cmdline_parser import CmdlineParser

from gokart_core import luigi_internals
from gokart_core.task import config_check
from gokart_core.task.kind import KartTask

#: The luigi config section whose values apply to every TaskOnKart subclass.
SHARED_CONFIG_SECTION = "TaskOnKart"


def fast_param_values(
    cls: type[luigi.Task], params: list[tuple[str, Any]], kwargs: dict[str, Any]
) -> list[tuple[str, Any]] | None:
    """The values luigi would find, when nothing but the defaults and ``kwargs`` can set them;
    None when luigi must look (a command line, a config section of this task, a required or
    unknown parameter: luigi's lookup, or its error).

    luigi looks every parameter left at its default up on the command line and in the config,
    at every instantiation (cached instances included): most of the cost of making a task.
    """
    if CmdlineParser.get_instance() is not None:
        return None
    if luigi.configuration.get_config().has_section(cls.get_task_family()):
        return None
    if not kwargs.keys() <= {name for name, _ in params}:
        return None
    values: list[tuple[str, Any]] = []
    for name, param in params:
        if name in kwargs:
            value = param.normalize(kwargs[name])
        elif luigi_internals.has_plain_default(param):
            value = param.normalize(luigi_internals.default_of(param))
        else:  # a required parameter, or one with a deprecated config path: luigi's errors
            return None
        # as luigi does: lists and sets become tuples, so that values hash
        values.append((name, tuple(value) if isinstance(value, (list, set)) else value))
    return values


def apply_shared_config(cls: type[luigi.Task], kwargs: dict[str, Any]) -> None:
    """Fill parameters from the ``[TaskOnKart]`` config section.

    Precedence: explicit arguments and the command line (``--Task-param``), then the task's
    own config section (luigi's usual lookup), then ``[TaskOnKart]``.
    """
    config_check.check_keys(cls, SHARED_CONFIG_SECTION)
    config = luigi.configuration.get_config()
    if not config.has_section(SHARED_CONFIG_SECTION):
        return
    params = dict(cls.get_params())
    own_section = cls.get_task_family()
    own: set[str] = set()
    if own_section != SHARED_CONFIG_SECTION and config.has_section(own_section):
        own = {k.replace("-", "_") for k in config.options(own_section)}
    cmdline = CmdlineParser.get_instance()
    for key in config.options(SHARED_CONFIG_SECTION):
        name = key.replace("-", "_")
        if name not in params or name in kwargs or name in own:
            continue
        if cmdline is not None and luigi_internals.given_on_cmdline(
            cmdline, params[name], name, own_section
        ):
            continue
        kwargs[name] = params[name].parse(config.get(SHARED_CONFIG_SECTION, key))


def default_requires(task: luigi.Task) -> Any:
    """gokart's default ``requires()``: the tasks given as parameters, as a dict by parameter
    name (a task, or a non-empty tuple of tasks; a list is not taken, as in gokart, so that the
    unique ids stay gokart's); ``[]`` when there are none."""
    tasks = {k: v for k, v in task.param_kwargs.items() if _is_task_on_kart(v)}
    return tasks or []


def _is_task_on_kart(value: Any) -> bool:
    if isinstance(value, KartTask):
        return True
    return isinstance(value, tuple) and bool(value) and all(isinstance(v, KartTask) for v in value)


def short_repr(task: luigi.Task) -> str:
    """``Family(param=value, ..., task_param=Family_..._hash)``: a task given as a parameter
    shows as its luigi task id, never as its nested parameters (luigi's repr recurses through
    them)."""
    parts = []
    params = dict(task.get_params())
    for name, value in task.param_kwargs.items():
        param = params[name]
        if not param.significant:
            continue
        if isinstance(value, luigi.Task):
            shown = value.task_id
        elif isinstance(value, (list, tuple)) and any(isinstance(v, luigi.Task) for v in value):
            shown = "[" + ", ".join(getattr(v, "task_id", repr(v)) for v in value) + "]"
        else:
            shown = param.serialize(value)
        parts.append(f"{name}={shown}")
    return f"{task.get_task_family()}({', '.join(parts)})"
