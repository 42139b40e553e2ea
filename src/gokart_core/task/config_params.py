"""``@inherits_config_params(Config)``: share parameter values of a ``luigi.Config`` with tasks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import luigi
import luigi.task

from gokart_core import luigi_internals

TaskClass = TypeVar("TaskClass", bound=type)


def inherits_config_params(
    config_class: type[luigi.Config], parameter_alias: Mapping[str, str] | None = None
) -> Callable[[TaskClass], TaskClass]:
    """Decorate a task class so that every parameter it shares with ``config_class`` takes the
    config's value (from the luigi config, the command line or the config's default).

    Parameters only in the config class are not added to the task. ``parameter_alias`` maps
    a config parameter name to the task's name for it: ``{"config_name": "task_name"}``.
    An argument given to the task explicitly wins over the config.
    The decorated class keeps its name, module and task family.
    """
    if not (isinstance(config_class, type) and issubclass(config_class, luigi.Task)):
        raise TypeError(f"inherits_config_params: {config_class!r} is not a luigi.Config class")
    alias = dict(parameter_alias or {})
    config_params = dict(config_class.get_params())
    unknown = sorted(set(alias) - set(config_params))
    if unknown:
        raise ValueError(
            f"inherits_config_params: parameter_alias names {unknown}, which "
            f"{config_class.__name__} does not have; it has {sorted(config_params)}"
        )

    def decorate(task_class: TaskClass) -> TaskClass:
        if not (isinstance(task_class, type) and issubclass(task_class, luigi.Task)):
            raise TypeError(f"inherits_config_params decorates task classes, not {task_class!r}")

        @luigi_internals.task_wraps(task_class)
        class Wrapped(task_class):  # type: ignore[valid-type,misc]
            @classmethod
            def get_param_values(
                cls, params: list[tuple[str, luigi.Parameter]], args: Any, kwargs: Any
            ) -> Any:
                return super().get_param_values(
                    params, args, _with_config(cls, params, args, kwargs)
                )

        def _with_config(
            cls: type, params: list[tuple[str, luigi.Parameter]], args: Any, kwargs: Any
        ) -> dict[str, Any]:
            task_params = dict(params)
            positional = [n for n, p in params if p.positional][: len(args)]
            merged = dict(kwargs)
            family = config_class.get_task_family()
            for name, param in config_params.items():
                task_name = alias.get(name, name)
                if task_name not in task_params or task_name in merged or task_name in positional:
                    continue
                if param.has_task_value(family, name):
                    merged[task_name] = param.task_value(family, name)
            return merged

        return Wrapped  # type: ignore[return-value]

    return decorate


__all__ = ["inherits_config_params"]
