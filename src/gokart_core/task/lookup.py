"""A TaskOnKart's parameters: how it gets their values (luigi's lookup, a fast path for the
common case, the ``[TaskOnKart]`` config section that applies to every subclass), the tasks
given as parameters (gokart's default ``requires()``), and how a task shows them."""

from __future__ import annotations

import datetime
import enum
from typing import Any

import luigi
import luigi.configuration
from luigi.cmdline_parser import CmdlineParser

from gokart_core import luigi_internals
from gokart_core.task import config_check
from gokart_core.task.kind import PLAN_CACHE, KartTask

#: The luigi config section whose values apply to every TaskOnKart subclass.
SHARED_CONFIG_SECTION = "TaskOnKart"


#: Parameter classes whose ``normalize`` is a pure function of the value (luigi's
#: ``PathParameter`` is not: with ``absolute=True`` it depends on the working directory).
_PURE_NORMALIZE: tuple[type, ...] = (
    luigi.BoolParameter,
    luigi.IntParameter,
    luigi.FloatParameter,
    luigi.OptionalParameter,
    luigi.DateParameter,
    luigi.EnumParameter,
)
#: Defaults that nobody can change after the class was made.
_IMMUTABLE = (str, int, float, bytes, type(None), datetime.date, datetime.timedelta, enum.Enum)
_FIXED, _NORMALIZE, _LOOK_UP = 0, 1, 2


class _Plan:
    """How a class's parameters get their values when only defaults and ``kwargs`` can set
    them, worked out once per class: a template of the values in luigi's order, with the
    defaults that normalize to themselves filled in; what a call must still do is normalize
    what it was given and the other defaults."""

    __slots__ = ("count", "index", "lookups", "normalize", "params", "template")

    def __init__(self, params: list[tuple[str, luigi.Parameter]]) -> None:
        self.count = len(params)
        self.params = dict(params)
        self.index = {name: i for i, (name, _) in enumerate(params)}
        self.template: list[tuple[str, Any]] = []
        #: (position, name, parameter, default) of the defaults normalized at every call.
        self.normalize: list[tuple[int, str, luigi.Parameter, Any]] = []
        #: The parameters only luigi's lookup can set (required, or a deprecated config path).
        self.lookups: list[str] = []
        for i, (name, param) in enumerate(params):
            step, value = _step(param)
            self.template.append((name, value if step == _FIXED else None))
            if step == _NORMALIZE:
                self.normalize.append((i, name, param, value))
            elif step == _LOOK_UP:
                self.lookups.append(name)


def _step(param: luigi.Parameter) -> tuple[int, Any]:
    """``(_FIXED, the normalized default)`` when normalizing the default can only give the
    same immutable value again, ``(_NORMALIZE, the default)``, or ``(_LOOK_UP, None)``."""
    if not luigi_internals.has_plain_default(param):
        return _LOOK_UP, None
    default = luigi_internals.default_of(param)
    pure = type(param).normalize is luigi.Parameter.normalize or type(param) in _PURE_NORMALIZE
    if pure and isinstance(default, _IMMUTABLE):
        value = param.normalize(default)
        if isinstance(value, _IMMUTABLE):
            return _FIXED, value
    return _NORMALIZE, default


def _plan(cls: type[luigi.Task], params: list[tuple[str, Any]]) -> _Plan:
    plan: _Plan | None = cls.__dict__.get(PLAN_CACHE)
    if plan is None or plan.count != len(params):
        plan = _Plan(params)
        setattr(cls, PLAN_CACHE, plan)  # dropped with the parameters' cache (KartRegister)
    return plan


def _hashable(value: Any) -> Any:
    # as luigi does: lists and sets become tuples, so that values hash
    return tuple(value) if isinstance(value, (list, set)) else value


def fast_param_values(
    cls: type[luigi.Task], params: list[tuple[str, Any]], kwargs: dict[str, Any]
) -> list[tuple[str, Any]] | None:
    """The values luigi would find, when nothing but the defaults and ``kwargs`` can set them;
    None when luigi must look (a command line, a config section of this task, a required or
    unknown parameter: luigi's lookup, or its error).

    luigi looks every parameter left at its default up on the command line and in the config,
    at every instantiation (cached instances included): most of the cost of making a task.
    A call here costs what it was given and the defaults that need normalizing (:class:`_Plan`).
    """
    if CmdlineParser.get_instance() is not None:
        return None
    if luigi.configuration.get_config().has_section(cls.get_task_family()):
        return None
    plan = _plan(cls, params)
    index = plan.index
    if not kwargs.keys() <= index.keys():
        return None
    for name in plan.lookups:
        if name not in kwargs:
            return None
    values = list(plan.template)
    for i, name, param, default in plan.normalize:
        if name not in kwargs:
            values[i] = (name, _hashable(param.normalize(default)))
    given = plan.params
    for name, value in kwargs.items():
        values[index[name]] = (name, _hashable(given[name].normalize(value)))
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
