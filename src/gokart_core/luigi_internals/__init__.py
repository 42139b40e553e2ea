"""Every use of luigi's private names, in one package: what gokart-core relies on beyond luigi's
public API, and why. A luigi upgrade that changes any of these breaks here, and only here.

This module: parameters, the task registry, the build's summary. :mod:`.scheduler` and
:mod:`.scheduler_state`: luigi's scheduler with incremental bookkeeping, a subclass of
``luigi.scheduler.Scheduler`` on its internal state.

Tested against the luigi that ``pyproject.toml`` admits (``luigi>=3.5``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import luigi
import luigi.execution_summary
import luigi.interface
import luigi.parameter
import luigi.task
import luigi.task_register
from luigi.cmdline_parser import CmdlineParser

#: luigi's marker of a parameter without a default (a public default cannot be told apart
#: from "no default" otherwise); also the default of our parameters' ``default`` argument.
NO_VALUE: Any = luigi.parameter._no_value


def default_of(param: luigi.Parameter) -> Any:
    """The default a parameter was declared with (``NO_VALUE`` when it has none)."""
    return param._default


def has_plain_default(param: luigi.Parameter) -> bool:
    """Whether ``param`` has a default and no (deprecated) ``config_path`` to look elsewhere:
    with no command line and no config section of its task, its value is that default."""
    return param._config_path is None and param._default is not NO_VALUE


def given_on_cmdline(
    cmdline: CmdlineParser, param: luigi.Parameter, name: str, family: str
) -> bool:
    """Whether the command line set ``--{family}-{name}`` (or ``--name`` for the root task)."""
    dest = param._parser_global_dest(name, family)
    return getattr(cmdline.known_args, dest, None) is not None


def lookup_value(param: luigi.Parameter, family: str, name: str) -> Any:
    """luigi's own lookup of a parameter left out: the command line, the task's config section,
    then the default."""
    return param._get_value(family, name)


def default_worker_scheduler_factory() -> Any:
    """The factory ``luigi.build`` uses when given none: to wrap it rather than replace it."""
    return luigi.interface._WorkerSchedulerFactory()


def registered_task_classes() -> list[type]:
    """luigi's registry of task classes, in registration order (what name lookups search)."""
    return list(luigi.task_register.Register._reg)


def set_registered_task_classes(classes: list[type]) -> None:
    luigi.task_register.Register._reg = list(classes)


def summary_of(worker: Any) -> dict[str, Any]:
    """The tasks of a finished build by state (``failed``, ``scheduling_error``, ...), as luigi's
    own summary groups them."""
    summary: dict[str, Any] = luigi.execution_summary._summary_dict(worker)
    return summary


def task_wraps(task_class: type) -> Callable[[type], type]:
    """luigi's ``functools.wraps`` for a task class that subclasses ``task_class``: it keeps the
    family name, module and docstring, so that the subclass is the same task to luigi."""
    wraps: Callable[[type], type] = luigi.task._task_wraps(task_class)
    return wraps


def cmdline_parameter_error(args: list[str]) -> str | None:
    """A message naming the flag, task, parameter and value of the first value on the command
    line ``args`` that the root task's parameter cannot parse; None when every one parses, or
    when the command line is not one luigi would get that far with (luigi then says why).
    luigi itself lets the parser's ``ValueError`` escape, without the parameter's name."""
    try:
        with CmdlineParser.global_instance(args, allow_override=True) as parser:
            cls = parser._get_task_cls()
            family = cls.get_task_family()
            for name, param in cls.get_params():
                for attr, flag in (
                    (name, f"--{name.replace('_', '-')}"),
                    (f"{family}_{name}", f"--{family}-{name.replace('_', '-')}"),
                ):
                    value = getattr(parser.known_args, attr, None)
                    if not value:
                        continue
                    try:
                        param.parse(value)
                    except Exception as exc:  # any parser's error is the user's value
                        kind = type(param).__name__
                        return (
                            f"{flag}: {value!r} is not a valid value of {family}.{name} "
                            f"({kind}): {type(exc).__name__}: {exc}"
                        )
    except (SystemExit, luigi.task_register.TaskClassException):
        return None
    return None


class OneValueOnCommandLine:
    """A parameter mixin: exactly one value on the command line (``--flag true``), where
    luigi's ``BoolParameter`` takes none (``store_true``) or an optional one. luigi builds a
    parameter's argparse arguments in its private ``_parser_kwargs``."""

    @classmethod
    def _parser_kwargs(cls, param_name: Any, task_name: Any = None) -> Any:
        return luigi.Parameter._parser_kwargs(param_name, task_name)


def root_task_name(args: list[str]) -> str | None:
    """The root task's name on the command line ``args``, as luigi's first pass over it reads
    it (its parser before it knows the task), or None when there is none."""
    try:
        known, _ = CmdlineParser._build_parser().parse_known_args(args)
    except SystemExit:
        return None
    name = known.root_task
    return str(name) if name else None


def scheduler_of(worker: Any) -> Any:
    """The scheduler a finished build's worker talked to (local, or luigid's RPC client): asked
    for the failures' explanations (its public ``fetch_error``) after the build."""
    return worker._scheduler


def root_task_of(worker: Any) -> Any:
    """The first task the worker scheduled: the command line's root task (luigi's own choice of
    the root in its summary), or None when it scheduled none."""
    history = worker._add_task_history
    return history[0][0] if history else None
