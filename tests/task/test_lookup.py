"""The fast path of a task's parameter values (``gokart_core.task.lookup``): the values luigi's
own lookup gives, for every kind of parameter, while the work is planned once per class."""

from __future__ import annotations

import datetime
import enum
from pathlib import Path
from typing import Any

import luigi
import pytest

import gokart_core as gokart
from gokart_core.task import lookup


class Colour(enum.Enum):
    RED = 1
    BLUE = 2


class Counting(luigi.Parameter):
    """A parameter of the user's whose ``normalize`` is not known to be pure."""

    calls = 0

    def normalize(self, x: Any) -> Any:
        Counting.calls += 1
        return f"{x}!"


class Kinds(gokart.TaskOnKart[int]):
    task_namespace = "lookup"
    flag = luigi.BoolParameter(default=True)
    number = luigi.IntParameter(default=3)
    ratio = luigi.FloatParameter(default=0.5)
    name = luigi.Parameter(default="n")
    maybe = luigi.OptionalParameter(default=None)
    day = luigi.DateParameter(default=datetime.date(2024, 1, 2))
    when = luigi.DateSecondParameter(default=datetime.datetime(2024, 1, 2, 3, 4, 5, 6))
    colour = luigi.EnumParameter(enum=Colour, default=Colour.RED)
    mapping = luigi.DictParameter(default={"a": [1, 2]})
    items = luigi.ListParameter(default=[1, 2])
    pair = luigi.TupleParameter(default=(1, (2, 3)))
    where = luigi.PathParameter(default="rel/dir", absolute=True)
    mine = Counting(default="x")
    needed = luigi.IntParameter()


def _luigi_values(cls: type[luigi.Task], kwargs: dict[str, Any]) -> list[tuple[str, Any]]:
    params = cls.get_params()
    return list(luigi.Task.get_param_values.__func__(cls, params, (), kwargs))  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"needed": 1},
        {"needed": 2, "flag": False, "number": 7, "day": datetime.date(2020, 5, 6)},
        {"needed": 3, "mapping": {"b": {"c": 1}}, "items": [3], "colour": Colour.BLUE},
        {"needed": 4, "where": "other", "mine": "y", "maybe": "m", "pair": [5, 6]},
    ],
)
def test_the_values_are_luigis(kwargs: dict[str, Any]) -> None:
    fast = lookup.fast_param_values(Kinds, Kinds.get_params(), dict(kwargs))
    assert fast == _luigi_values(Kinds, dict(kwargs))
    assert Kinds(**kwargs).param_kwargs == dict(_luigi_values(Kinds, dict(kwargs)))


def test_a_required_parameter_left_out_is_luigis_error() -> None:
    assert lookup.fast_param_values(Kinds, Kinds.get_params(), {}) is None
    with pytest.raises(luigi.parameter.MissingParameterException, match="needed"):
        Kinds()


def test_defaults_that_may_change_are_normalized_at_every_instantiation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An absolute path follows the working directory, a user's normalize runs every time,
    and a list default changed in place shows, as with luigi's lookup."""
    monkeypatch.chdir(tmp_path)
    first = Kinds(needed=10)
    assert first.where == tmp_path / "rel" / "dir"
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    assert Kinds(needed=11).where == tmp_path / "sub" / "rel" / "dir"

    before = Counting.calls
    Kinds(needed=12)
    assert Counting.calls > before
    assert Kinds(needed=12).mine == "x!"

    default = luigi_default(Kinds, "items")
    default.append(9)
    try:
        assert Kinds(needed=13).items == (1, 2, 9)
    finally:
        default.pop()


def luigi_default(cls: type[luigi.Task], name: str) -> Any:
    return dict(cls.get_params())[name]._default


def test_a_parameter_replaced_on_the_class_is_planned_again() -> None:
    class Replaced(gokart.TaskOnKart[int]):
        task_namespace = "lookup"
        x = luigi.IntParameter(default=1)

    class Below(Replaced):
        pass

    assert Replaced().x == 1 and Below().x == 1
    replacement = luigi.IntParameter(default=5)
    replacement.__set_name__(Replaced, "x")  # what the class statement does
    Replaced.x = replacement
    assert Replaced().x == 5
    assert Below().x == 5
