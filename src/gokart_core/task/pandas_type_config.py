"""``PandasTypeConfig``: column types of the DataFrames that the tasks of a namespace dump.

Subclass it, set ``task_namespace`` and return ``{column: type}`` from ``type_dict()``; every
``dump`` of a DataFrame by a task of that namespace then checks that each value of those columns
is an instance of its type (columns the frame lacks are not checked), and raises
``PandasTypeError`` naming the task, column, row and types otherwise. Namespaces are luigi's
(``get_task_namespace()``: the class attribute, or ``luigi.namespace``); of several configs for
one namespace the one defined last applies.

pandas is never imported here: a DataFrame can only exist once something imported pandas.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, ClassVar

import luigi

from gokart_core.errors import PandasTypeError

if TYPE_CHECKING:
    import pandas as pd

    from gokart_core.task import TaskOnKart

__all__ = ["PandasTypeConfig", "PandasTypeError", "check_dump_types"]


class PandasTypeConfig(luigi.Config):
    """Base class of column type declarations; see the module docstring."""

    #: Every subclass, in definition order (registered by ``__init_subclass__``).
    _subclasses: ClassVar[list[type[PandasTypeConfig]]] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        PandasTypeConfig._subclasses.append(cls)

    @classmethod
    def type_dict(cls) -> dict[str, Any]:
        """``{column name: type}``; every value of the column must be an instance of the type
        (anything ``isinstance`` takes, such as a tuple of types)."""
        raise NotImplementedError(
            f"{cls.__name__} subclasses PandasTypeConfig and must define the classmethod "
            "type_dict() returning {column: type}"
        )

    @classmethod
    def check(cls, df: pd.DataFrame) -> None:
        """Raise PandasTypeError at the first value of a declared column that is not of its
        declared type."""
        for column, expected in cls.type_dict().items():
            if column not in df.columns:
                continue
            series = df[column]
            # Iterating a Series gives Python scalars (int, float, str, Timestamp), as gokart
            # checks them; a generator stops at the first mismatch.
            if all(isinstance(value, expected) for value in series):
                continue
            index, value = next((i, v) for i, v in series.items() if not isinstance(v, expected))
            raise PandasTypeError(
                f"{cls.__name__}: column {column!r} must hold {_type_name(expected)}, but row "
                f"{index!r} holds {_type_name(type(value))} ({_short_repr(value)})"
            )


def config_for(namespace: str | None) -> type[PandasTypeConfig] | None:
    """The config that applies to tasks of ``namespace``: the last one defined for it."""
    for config in reversed(PandasTypeConfig._subclasses):
        if config.get_task_namespace() == namespace:
            return config
    return None


def check_dump_types(task: TaskOnKart[Any], obj: Any) -> None:
    """Check ``obj`` against the config of ``task``'s namespace if it is a pandas DataFrame."""
    if not PandasTypeConfig._subclasses:
        return
    pd = sys.modules.get("pandas")
    if pd is None or not isinstance(obj, pd.DataFrame):
        return
    config = config_for(type(task).get_task_namespace())
    if config is None:
        return
    try:
        config.check(obj)
    except PandasTypeError as exc:
        raise PandasTypeError(f"{type(task).__name__}.dump: {exc}") from None


def _type_name(t: Any) -> str:
    if isinstance(t, tuple):
        return " or ".join(_type_name(x) for x in t)
    if isinstance(t, type):
        return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
    return repr(t)


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
