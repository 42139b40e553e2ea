"""Tasks as parameters, SerializableParameter, ZonedDateSecondParameter."""

from __future__ import annotations

import bz2
import dataclasses
import datetime
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import luigi
import pytest

import gokart_core as gokart
from gokart_core.task.task_parameters import GOKART_COMPATIBLE_NESTING, parse_task, serialize_task


class PLeaf(gokart.TaskOnKart[int]):
    x = luigi.IntParameter(default=1)
    note = luigi.Parameter(default="", significant=False)

    def run(self) -> None:
        self.dump(self.x)


class POther(gokart.TaskOnKart[int]):
    def run(self) -> None:
        self.dump(100)


class PChain(gokart.TaskOnKart[int]):
    dep = gokart.TaskInstanceParameter()
    i = luigi.IntParameter(default=0)

    def run(self) -> None:
        self.dump(self.load("dep") + 1)


class PTyped(gokart.TaskOnKart[Any]):
    leaf = gokart.TaskInstanceParameter(expected_type=PLeaf)


class PMany(gokart.TaskOnKart[int]):
    leaves = gokart.ListTaskInstanceParameter(expected_elements_type=PLeaf)

    def run(self) -> None:
        self.dump(sum(self.load("leaves")))


class POwnRequires(gokart.TaskOnKart[int]):
    dep = gokart.TaskInstanceParameter()

    def requires(self) -> Any:
        return POther(workspace_directory=self.workspace_directory)

    def run(self) -> None:
        self.dump(self.load())


# ------------------------------------------------------------------------------- serialization


def test_task_parameter_serializes_as_gokart() -> None:
    leaf = PLeaf(x=5, note="not significant")
    text = PChain(dep=leaf).to_str_params(only_significant=True)["dep"]
    data = json.loads(text)
    assert list(data) == ["type", "params"]
    assert data["type"] == "PLeaf"
    inner = bz2.decompress(bytes.fromhex(data["params"])).decode()
    assert inner == json.dumps({"x": "5"}) == '{"x": "5"}'
    assert text == json.dumps({"type": "PLeaf", "params": bz2.compress(inner.encode()).hex()})


def test_task_parameter_parses_back() -> None:
    chain = PChain(dep=PChain(dep=PLeaf(x=3), i=1), i=2)
    text = PChain.dep.serialize(chain)
    parsed = PChain.dep.parse(text)
    assert parsed == chain
    assert parsed.make_unique_id() == chain.make_unique_id()


def test_list_parameter_serializes_each_task() -> None:
    a, b = PLeaf(x=1), PLeaf(x=2)
    text = PMany(leaves=[a, b]).to_str_params(only_significant=True)["leaves"]
    assert json.loads(text) == [serialize_task(a), serialize_task(b)]
    assert PMany.leaves.parse(text) == [a, b]


def test_serialized_form_is_cached_per_task() -> None:
    leaf = PLeaf(x=8)
    assert serialize_task(leaf) is serialize_task(leaf)


# ------------------------------------------------------------------------------------- types


def test_wrong_task_type_names_both_types() -> None:
    with pytest.raises(TypeError) as info:
        PTyped(leaf=POther())
    message = str(info.value)
    assert "PLeaf" in message and "POther" in message and "'leaf'" in message


def test_wrong_element_type_names_both_types() -> None:
    with pytest.raises(TypeError) as info:
        PMany(leaves=[PLeaf(), POther()])
    message = str(info.value)
    assert "PLeaf" in message and "POther" in message and "[1]" in message


def test_expected_type_must_be_a_type() -> None:
    with pytest.raises(TypeError, match="expected_type must be a type"):
        gokart.TaskInstanceParameter(expected_type="PLeaf")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="expected_elements_type must be a type"):
        gokart.ListTaskInstanceParameter(expected_elements_type=3)  # type: ignore[arg-type]


def test_default_expected_type_is_task_on_kart() -> None:
    class Plain(luigi.Task):
        pass

    with pytest.raises(TypeError, match="TaskOnKart"):
        PChain(dep=Plain())


# ------------------------------------------------------------------------------ requires and id


def test_task_parameters_are_required_by_default() -> None:
    leaf = PLeaf(x=4)
    assert PChain(dep=leaf).requires() == {"dep": leaf}
    a, b = PLeaf(x=1), PLeaf(x=2)
    assert PMany(leaves=[a, b]).requires() == {"leaves": (a, b)}
    assert PLeaf().requires() == []
    assert POwnRequires(dep=leaf).requires() == POther()


def test_nested_task_id_enters_parent_id() -> None:
    ids = {PChain(dep=PLeaf(x=x)).make_unique_id() for x in (1, 2)}
    assert len(ids) == 2
    # An insignificant parameter of the nested task changes nothing.
    assert PChain(dep=PLeaf(note="a")).make_unique_id() == PChain(dep=PLeaf()).make_unique_id()


def test_build_loads_task_parameters(tmp_path: Path) -> None:
    ws = str(tmp_path)
    leaves = [PLeaf(x=x, workspace_directory=ws) for x in (1, 2, 3)]
    assert gokart.build(PMany(leaves=leaves, workspace_directory=ws)) == 6
    assert gokart.build(POwnRequires(dep=leaves[0], workspace_directory=ws)) == 100


def test_repr_shows_nested_tasks_by_task_id() -> None:
    leaf = PLeaf(x=4)
    assert repr(PChain(dep=leaf, i=3)) == f"PChain(dep={leaf.task_id}, i=3)"
    assert repr(leaf) == "PLeaf(x=4)"


# ---------------------------------------------------------------------------- deep nesting


def test_chain_of_1000_builds_without_recursion_error(tmp_path: Path) -> None:
    limit = sys.getrecursionlimit()
    ws = str(tmp_path)
    task: gokart.TaskOnKart[int] = PLeaf(x=0, workspace_directory=ws)
    for i in range(1000):
        task = PChain(dep=task, i=i, workspace_directory=ws)
    assert sys.getrecursionlimit() == limit
    uid = task.make_unique_id()
    assert len(uid) == 32
    assert gokart.build(task) == 1000
    # Deeper than gokart can go, a task serializes as a digest of constant size.
    text = serialize_task(task)
    assert len(text) < 200 and "params_md5" in text
    with pytest.raises(ValueError, match="cannot be parsed back"):
        parse_task(text)


def test_gokart_form_up_to_the_compatible_nesting() -> None:
    task: Any = PLeaf()
    for i in range(GOKART_COMPATIBLE_NESTING + 1):
        task = PChain(dep=task, i=i)
        assert ("params_md5" in serialize_task(task)) == (i + 1 > GOKART_COMPATIBLE_NESTING)


def test_unique_ids_equal_gokart_ids() -> None:
    """Tasks given as parameters (a chain 50 deep among them) get gokart's unique ids.

    gokart and gokart_core both register the luigi family ``TaskOnKart``: one process each.
    """
    script = Path(__file__).parent.parent / "compat_ids.py"

    def ids(module: str) -> dict[str, str]:
        done = subprocess.run(
            [sys.executable, str(script), module, "50"],
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        )
        result: dict[str, str] = json.loads(done.stdout.strip().splitlines()[-1])
        return result

    theirs, ours = ids("gokart"), ids("gokart_core")
    assert len(ours) == 14
    assert ours == theirs


# ----------------------------------------------------------------------------- other values


@dataclasses.dataclass(frozen=True)
class Window:
    start: int
    end: int
    comment: str = ""

    def gokart_serialize(self) -> str:
        return json.dumps({"start": self.start, "end": self.end})

    @classmethod
    def gokart_deserialize(cls, s: str) -> Window:
        return cls(**json.loads(s))


class PWindow(gokart.TaskOnKart[Any]):
    window = gokart.SerializableParameter(object_type=Window)


def test_serializable_parameter() -> None:
    task = PWindow(window=Window(1, 5, "x"))
    assert task.to_str_params(only_significant=True) == {"window": '{"start": 1, "end": 5}'}
    assert PWindow.window.parse('{"start": 1, "end": 5}') == Window(1, 5)
    # Only what gokart_serialize writes enters the id.
    assert task.make_unique_id() == PWindow(window=Window(1, 5, "y")).make_unique_id()
    assert task.make_unique_id() != PWindow(window=Window(1, 6)).make_unique_id()


class PZoned(gokart.TaskOnKart[Any]):
    when = gokart.ZonedDateSecondParameter()


def test_zoned_date_second_parameter() -> None:
    param = PZoned.when
    jst = datetime.timezone(datetime.timedelta(hours=9))
    assert param.parse("2013-07-10T19:07:38+09:00") == datetime.datetime(
        2013, 7, 10, 19, 7, 38, tzinfo=jst
    )
    assert param.parse("2013-07-10T10:07:38Z").tzinfo == datetime.timezone.utc
    with pytest.warns(UserWarning, match="no timezone"):
        param.parse("2013-07-10T19:07:38")
    task = PZoned(when=datetime.datetime(2013, 7, 10, 19, 7, 38, 123456, tzinfo=jst))
    assert task.when.microsecond == 0
    assert task.to_str_params()["when"] == "2013-07-10T19:07:38+09:00"
