"""Tasks as parameters: ``TaskInstanceParameter`` and ``ListTaskInstanceParameter``.

A task given as a parameter (``TaskInstanceParameter``, ``ListTaskInstanceParameter``) serializes
as gokart writes it, ``{"type": family, "params": hex of bz2 of the JSON of its significant str
params}``, so that unique ids equal gokart's. The serialized form of each task is computed once,
bottom-up and without recursion, and cached on the task: a chain of tasks nested as parameters
costs time linear in its depth instead of gokart's repeated, recursive serialization.

gokart's form nests the compressed form of every inner task, and grows by a constant factor per
level (about 1.5% with bz2 on hex). gokart itself stops at about 195 levels (RecursionError at
the default recursion limit). Beyond :data:`GOKART_COMPATIBLE_NESTING` levels, a task therefore
serializes as ``{"type": family, "params_md5": md5 of the JSON of its significant str params}``:
still one string per distinct set of parameters, of constant size, but not parseable back.
"""

from __future__ import annotations

import bz2
import hashlib
import json
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar, overload

import luigi
import luigi.task_register

from gokart_core.luigi_internals import NO_VALUE
from gokart_core.task.task import TaskOnKart

#: Tasks nested deeper than this as parameters serialize as a digest (see the module docstring).
GOKART_COMPATIBLE_NESTING = 200

_SERIALIZED = "_gokart_core_serialized"
_NESTING = "_gokart_core_nesting"


# ------------------------------------------------------------------------------ tasks as values


def _check_type(expected: Any, what: str) -> type:
    if expected is None:
        return TaskOnKart
    if not isinstance(expected, type):
        raise TypeError(f"{what} must be a type, not {type(expected).__name__}: {expected!r}")
    return expected


def _type_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _task_params(task: luigi.Task) -> Iterator[tuple[bool, Any]]:
    """``(significant, value)`` of every task nested directly in ``task``'s parameters."""
    for name, param in task.get_params():
        value = task.param_kwargs.get(name)
        if isinstance(param, TaskInstanceParameter) and isinstance(value, luigi.Task):
            yield param.significant, value
        elif isinstance(param, ListTaskInstanceParameter) and isinstance(value, (list, tuple)):
            for item in value:
                if isinstance(item, luigi.Task):
                    yield param.significant, item


def serialize_task(task: luigi.Task) -> str:
    """gokart's serialized form of a task given as a parameter; cached on the task.

    Every nested task that has no cached form yet is serialized first, innermost first, with
    an explicit stack: no recursion, whatever the depth.
    """
    cached: str | None = task.__dict__.get(_SERIALIZED)
    if cached is not None:
        return cached
    order: list[luigi.Task] = []
    seen: set[int] = {id(task)}
    stack: list[tuple[luigi.Task, bool]] = [(task, False)]
    while stack:
        current, expanded = stack.pop()
        if expanded:
            order.append(current)
            continue
        stack.append((current, True))
        for _, child in _task_params(current):
            if id(child) not in seen and _SERIALIZED not in child.__dict__:
                seen.add(id(child))
                stack.append((child, False))
    for current in order:
        _serialize_one(current)
    result: str = task.__dict__[_SERIALIZED]
    return result


def _serialize_one(task: luigi.Task) -> None:
    nesting = 0
    for significant, child in _task_params(task):
        if significant:
            nesting = max(nesting, child.__dict__.get(_NESTING, 0) + 1)
    # The nested tasks are cached already: this serializes each of them in O(1).
    params = json.dumps(task.to_str_params(only_significant=True))
    values: dict[str, str]
    if nesting <= GOKART_COMPATIBLE_NESTING:
        values = {"type": task.get_task_family(), "params": bz2.compress(params.encode()).hex()}
    else:
        values = {
            "type": task.get_task_family(),
            "params_md5": hashlib.md5(params.encode()).hexdigest(),
        }
    task.__dict__[_NESTING] = nesting
    task.__dict__[_SERIALIZED] = luigi.DictParameter().serialize(values)


def parse_task(text: str | Any) -> luigi.Task:
    """The task that :func:`serialize_task` wrote (or a ``{"type", "params"}`` dict)."""
    data = dict(luigi.DictParameter().parse(text)) if isinstance(text, str) else dict(text)
    if "params" not in data:
        if "params_md5" in data:
            raise ValueError(
                f"{data.get('type')}: a task nested deeper than {GOKART_COMPATIBLE_NESTING} levels "
                "is serialized as a digest and cannot be parsed back"
            )
        raise ValueError(f"not a serialized task (no 'type' and 'params'): {text!r}")
    params = data["params"]
    if isinstance(params, str):
        params = json.loads(bz2.decompress(bytes.fromhex(params)).decode())
    params = dict(params)
    task_cls = luigi.task_register.Register.get_task_cls(data["type"])
    kwargs: dict[str, Any] = {}
    for name, param in task_cls.get_params():
        if name in params:
            value = params[name]
            kwargs[name] = param.parse(value) if isinstance(value, str) else value
    task: luigi.Task = task_cls(**kwargs)
    return task


#: The task type a task parameter holds: ``self.param`` is typed as ``expected_type``.
_TaskT = TypeVar("_TaskT", bound=luigi.Task)


class TaskInstanceParameter(luigi.Parameter[_TaskT]):
    """A task as a parameter. When the task's ``requires()`` is not overridden, the task given
    here is required; its unique id enters the unique id of the task that holds it.

    ``expected_type`` (default ``TaskOnKart``): a value of another type is a TypeError. For a
    type checker the parameter is generic in it: annotated as luigi's mypy plugin expects,
    ``up: Clean = TaskInstanceParameter(expected_type=Clean)``, ``self.up`` is a ``Clean`` and
    ``self.load(self.up)`` has the type that ``Clean`` declares as ``TaskOnKart[T]``. Without
    the annotation the plugin makes ``self.up`` Any, and nothing is checked.
    """

    @overload
    def __init__(
        self: TaskInstanceParameter[TaskOnKart[Any]],
        expected_type: None = None,
        default: Any = ...,
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(self, expected_type: type[_TaskT], default: Any = ..., **kwargs: Any) -> None: ...
    def __init__(
        self, expected_type: type[Any] | None = None, default: Any = NO_VALUE, **kwargs: Any
    ) -> None:
        self.expected_type: type = _check_type(expected_type, "expected_type")
        super().__init__(default=default, **kwargs)

    def parse(self, x: Any) -> Any:
        return parse_task(x)

    def serialize(self, x: Any) -> str:
        return serialize_task(x)

    def _warn_on_wrong_param_type(self, param_name: str, param_value: Any) -> None:
        if not isinstance(param_value, self.expected_type):
            raise TypeError(
                f"parameter {param_name!r} expects an instance of "
                f"{_type_name(self.expected_type)}, got {_type_name(type(param_value))}"
            )


class ListTaskInstanceParameter(luigi.Parameter[tuple[_TaskT, ...]]):
    """A list of tasks as a parameter; every element must be an ``expected_elements_type``.

    luigi stores the list as a tuple (so it is typed as one); when ``requires()`` is not
    overridden, its tasks are required, and their unique ids enter the unique id of the task
    that holds them.
    """

    @overload
    def __init__(
        self: ListTaskInstanceParameter[TaskOnKart[Any]],
        expected_elements_type: None = None,
        default: Any = ...,
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self, expected_elements_type: type[_TaskT], default: Any = ..., **kwargs: Any
    ) -> None: ...
    def __init__(
        self,
        expected_elements_type: type[Any] | None = None,
        default: Any = NO_VALUE,
        **kwargs: Any,
    ) -> None:
        self.expected_elements_type: type = _check_type(
            expected_elements_type, "expected_elements_type"
        )
        super().__init__(default=default, **kwargs)

    def parse(self, x: Any) -> Any:
        items = json.loads(x) if isinstance(x, str) else x
        return [parse_task(item) for item in items]

    def serialize(self, x: Sequence[Any]) -> str:
        return json.dumps([serialize_task(v) if isinstance(v, luigi.Task) else v for v in x])

    def _warn_on_wrong_param_type(self, param_name: str, param_value: Any) -> None:
        if not isinstance(param_value, (list, tuple)):
            raise TypeError(
                f"parameter {param_name!r} expects a list of "
                f"{_type_name(self.expected_elements_type)}, got {_type_name(type(param_value))}"
            )
        for i, value in enumerate(param_value):
            if not isinstance(value, self.expected_elements_type):
                raise TypeError(
                    f"parameter {param_name!r}[{i}] expects an instance of "
                    f"{_type_name(self.expected_elements_type)}, got {_type_name(type(value))}"
                )


__all__ = [
    "GOKART_COMPATIBLE_NESTING",
    "ListTaskInstanceParameter",
    "TaskInstanceParameter",
    "parse_task",
    "serialize_task",
]
