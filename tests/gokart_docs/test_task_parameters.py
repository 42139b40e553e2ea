"""gokart docs, *Task Parameters* (task_parameters.rst).

Covered: luigi parameters on a TaskOnKart (``Parameter``, ``ListParameter``, ``IntParameter``
with a default); ``TaskInstanceParameter`` (TaskB loads the TaskA it is given: "Hello,world");
``ListTaskInstanceParameter``; ``ExplicitBoolParameter`` on the command line (a value is
required, ``--param`` alone is an error, where ``luigi.BoolParameter`` takes ``--param`` as True
and its absence as False); ``SerializableParameter[Config]`` (the dumped object, the unique id
following ``gokart_serialize`` only, ``gokart_deserialize`` from the command line).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import luigi
import pytest
from luigi.cmdline_parser import CmdlineParser

import gokart_core as gokart


@pytest.fixture(autouse=True)
def workspace(tmp_path: Path, set_config: Any) -> None:
    set_config("TaskOnKart", "workspace_directory", str(tmp_path / "resources"))


class DocsParamsTask(gokart.TaskOnKart[dict[str, Any]]):
    param_a: str = luigi.Parameter()
    param_c: tuple[Any, ...] = luigi.ListParameter()
    param_d: int = luigi.IntParameter(default=1)

    def run(self) -> None:
        self.dump({"a": self.param_a, "c": list(self.param_c), "d": self.param_d})


def test_luigi_parameters() -> None:
    assert gokart.build(DocsParamsTask(param_a="x", param_c=[1, 2])) == {
        "a": "x",
        "c": [1, 2],
        "d": 1,
    }
    with CmdlineParser.global_instance(
        ["DocsParamsTask", "--param-a", "y", "--param-c", "[3]", "--param-d", "4"]
    ) as parser:
        task = parser.get_task_obj()
    assert (task.param_a, list(task.param_c), task.param_d) == ("y", [3], 4)


class DocsParamsTaskA(gokart.TaskOnKart[str]):
    def run(self) -> None:
        self.dump("Hello")


class DocsParamsTaskB(gokart.TaskOnKart[str]):
    require_task: gokart.TaskOnKart[str] = gokart.TaskInstanceParameter()

    def requires(self) -> Any:
        return self.require_task

    def run(self) -> None:
        task_a = self.load()
        self.dump(",".join([task_a, "world"]))


def test_task_instance_parameter() -> None:
    assert gokart.build(DocsParamsTaskB(require_task=DocsParamsTaskA())) == "Hello,world"


class DocsParamsWord(gokart.TaskOnKart[str]):
    word: str = luigi.Parameter()

    def run(self) -> None:
        self.dump(self.word)


class DocsParamsJoin(gokart.TaskOnKart[str]):
    tasks: list[gokart.TaskOnKart[str]] = gokart.ListTaskInstanceParameter()

    def requires(self) -> Any:
        return self.tasks

    def run(self) -> None:
        self.dump(" ".join(self.load()))


def test_list_task_instance_parameter() -> None:
    words = [DocsParamsWord(word=w) for w in ("go", "kart")]
    task = DocsParamsJoin(tasks=words)
    assert gokart.build(task) == "go kart"
    assert task.make_unique_id() != DocsParamsJoin(tasks=words[::-1]).make_unique_id()


class DocsParamsBools(gokart.TaskOnKart[Any]):
    explicit: bool = gokart.ExplicitBoolParameter(default=False)
    implicit: bool = luigi.BoolParameter(default=False)


def _parse(*args: str) -> DocsParamsBools:
    with CmdlineParser.global_instance(["DocsParamsBools", *args]) as parser:
        task: DocsParamsBools = parser.get_task_obj()
    return task


def test_explicit_bool_parameter(capsys: pytest.CaptureFixture[str]) -> None:
    # luigi.BoolParameter: implicit
    assert _parse("--implicit").implicit is True
    assert _parse().implicit is False
    # ExplicitBoolParameter: the value must be said
    assert _parse("--explicit", "true").explicit is True
    assert _parse("--explicit", "false").explicit is False
    assert _parse().explicit is False
    with pytest.raises(SystemExit) as exited:
        _parse("--explicit")
    assert exited.value.code == 2
    assert "--explicit" in capsys.readouterr().err


@dataclass(frozen=True)
class DocsParamsConfig:
    foo: int
    # not significant: left out of the serialized form
    bar: str

    def gokart_serialize(self) -> str:
        return json.dumps({"foo": self.foo})

    @classmethod
    def gokart_deserialize(cls, s: str) -> DocsParamsConfig:
        return cls(**json.loads(s))


class DocsParamsDummyTask(gokart.TaskOnKart[DocsParamsConfig]):
    config: DocsParamsConfig = gokart.SerializableParameter(object_type=DocsParamsConfig)

    def run(self) -> None:
        self.dump(self.config)


def test_serializable_parameter() -> None:
    task = DocsParamsDummyTask(config=DocsParamsConfig(foo=1, bar="a"))
    assert gokart.build(task) == DocsParamsConfig(foo=1, bar="a")
    same = DocsParamsDummyTask(config=DocsParamsConfig(foo=1, bar="b"))
    other = DocsParamsDummyTask(config=DocsParamsConfig(foo=2, bar="a"))
    assert task.make_unique_id() == same.make_unique_id() != other.make_unique_id()
    argument = json.dumps({"foo": 3, "bar": "c"})
    with CmdlineParser.global_instance(["DocsParamsDummyTask", "--config", argument]) as parser:
        parsed = parser.get_task_obj()
    assert parsed.config == DocsParamsConfig(foo=3, bar="c")
