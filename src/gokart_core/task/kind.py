"""The mark of a gokart task, for the modules that ``TaskOnKart`` is made of: they test
``isinstance(t, KartTask)`` and so need not import ``TaskOnKart``, which imports them; and
``TaskOnKart``'s metaclass."""

from __future__ import annotations

from typing import Any

import luigi
import luigi.task_register

#: Where ``TaskOnKart.get_params`` keeps a class's parameters once listed.
PARAMS_CACHE = "_gokart_params"
#: Where :func:`gokart_core.task.lookup.fast_param_values` keeps how to get each parameter's
#: value (dropped with the parameters' list).
PLAN_CACHE = "_gokart_param_plan"


class KartTask:
    """A base of ``TaskOnKart`` and of nothing else."""

    __slots__ = ()


class KartRegister(luigi.task_register.Register):
    """luigi's metaclass of tasks, and: a parameter assigned to a task class after the class
    was made (gokart's own tests do so, to change a default) makes that class and its
    subclasses list their parameters again, as luigi, which lists them on every call, would."""

    def __setattr__(cls, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if not isinstance(value, luigi.Parameter):
            return
        stack: list[type] = [cls]
        while stack:
            current = stack.pop()
            for cache in (PARAMS_CACHE, PLAN_CACHE):
                if cache in current.__dict__:
                    type.__delattr__(current, cache)
            stack.extend(current.__subclasses__())
