from __future__ import annotations

from pathlib import Path
from typing import Any

import luigi
import luigi.configuration
import pandas as pd
import pytest

import gokart_core as gokart
from gokart_core import hookimpl


class Value(gokart.TaskOnKart[Any]):
    value = luigi.Parameter()

    def output(self) -> Any:
        return self.make_target(f"value_{self.value}.pkl")

    def run(self) -> None:
        self.dump(self.value)


class Frame(gokart.TaskOnKart[pd.DataFrame]):
    columns = luigi.ListParameter(default=["id", "name"])
    rows = luigi.IntParameter(default=2)

    def output(self) -> Any:
        return self.make_target("frame.pkl")

    def run(self) -> None:
        self.dump(pd.DataFrame({c: range(self.rows) for c in self.columns}))


class Consumer(gokart.TaskOnKart[Any]):
    """requires() is given from outside so that every shape can be tested."""

    shape = luigi.Parameter()
    ws = luigi.Parameter()

    def requires(self) -> Any:
        a = Value(value="a", workspace_directory=self.ws)
        b = Value(value="b", workspace_directory=self.ws)
        return {
            "single": a,
            "list": [a, b],
            "dict": {"a": a, "b": b},
            "one_dict": {"a": a},
            "nested": {"xs": [a, b], "y": b},
        }[self.shape]

    def output(self) -> Any:
        return self.make_target("consumer.pkl")


@pytest.fixture
def ws(tmp_path: Path) -> str:
    return str(tmp_path)


def built(task: gokart.TaskOnKart[Any]) -> gokart.TaskOnKart[Any]:
    for t in luigi.task.flatten(task.requires()):
        gokart.build(t, return_value=False)
    return task


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ("single", "a"),
        ("list", ["a", "b"]),
        ("dict", {"a": "a", "b": "b"}),
        ("one_dict", {"a": "a"}),
        ("nested", {"xs": ["a", "b"], "y": "b"}),
    ],
)
def test_load_mirrors_the_shape_of_input(ws: str, shape: str, expected: Any) -> None:
    task = built(Consumer(shape=shape, ws=ws))
    assert task.load() == expected


def test_load_by_key_and_by_task(ws: str) -> None:
    task = built(Consumer(shape="dict", ws=ws))
    assert task.load("b") == "b"
    assert task.load(Value(value="a", workspace_directory=ws)) == "a"


def test_load_unknown_key_lists_the_keys(ws: str) -> None:
    task = built(Consumer(shape="dict", ws=ws))
    with pytest.raises(KeyError, match=r"'c'.*\['a', 'b'\]"):
        task.load("c")


def test_load_key_without_dict_requires(ws: str) -> None:
    task = built(Consumer(shape="list", ws=ws))
    with pytest.raises(TypeError, match="needs requires\\(\\) to return a dict"):
        task.load("a")


def test_load_task_that_is_not_required(ws: str) -> None:
    task = built(Consumer(shape="single", ws=ws))
    with pytest.raises(ValueError, match="not in requires"):
        task.load(Value(value="zzz", workspace_directory=ws))


def test_load_generator_yields_loaded_values_also_for_dicts(ws: str) -> None:
    task = built(Consumer(shape="dict", ws=ws))
    assert list(task.load_generator()) == ["a", "b"]
    task = built(Consumer(shape="list", ws=ws))
    assert list(task.load_generator()) == ["a", "b"]


class TwoOutputs(gokart.TaskOnKart[Any]):
    def output(self) -> Any:
        return {"x": self.make_target("x.pkl"), "y": self.make_target("y.pkl")}

    def run(self) -> None:
        self.dump(1, "x")
        self.dump(2, "y")


def test_dump_by_key_and_unknown_key(ws: str) -> None:
    assert gokart.build(TwoOutputs(workspace_directory=ws)) == {"x": 1, "y": 2}
    with pytest.raises(KeyError, match=r"'z'.*\['x', 'y'\]"):
        TwoOutputs(workspace_directory=ws).dump(3, "z")


class FramesUser(gokart.TaskOnKart[Any]):
    ws = luigi.Parameter()

    def requires(self) -> Any:
        return [
            Frame(workspace_directory=self.ws, columns=["id", "name", "x"]),
            Frame(workspace_directory=self.ws, columns=["id", "name", "x"], rows=3),
        ]


def test_load_data_frame_concatenates_and_checks_columns(ws: str) -> None:
    task = built(FramesUser(ws=ws))
    frame = task.load_data_frame(required_columns={"id", "name"})
    assert len(frame) == 5 and set(frame.columns) == {"id", "name", "x"}
    dropped = task.load_data_frame(required_columns=["name", "id"], drop_columns=True)
    assert list(dropped.columns) == ["name", "id"]
    with pytest.raises(ValueError, match=r"missing required columns \['nope'\]"):
        task.load_data_frame(required_columns={"id", "nope"})


class EmptyFrame(gokart.TaskOnKart[Any]):
    def output(self) -> Any:
        return self.make_target("empty.pkl")

    def run(self) -> None:
        self.dump(pd.DataFrame())


class EmptyUser(gokart.TaskOnKart[Any]):
    ws = luigi.Parameter()

    def requires(self) -> Any:
        return {"only": EmptyFrame(workspace_directory=self.ws)}


def test_load_data_frame_of_empty_input_has_the_required_columns(ws: str) -> None:
    task = built(EmptyUser(ws=ws))
    frame = task.load_data_frame(required_columns={"id"})
    assert frame.empty and list(frame.columns) == ["id"]


class EmptyDumper(gokart.TaskOnKart[Any]):
    def output(self) -> Any:
        return self.make_target("e.pkl")

    def run(self) -> None:
        self.dump(pd.DataFrame(columns=["a"]))


def test_fail_on_empty_dump(ws: str) -> None:
    with pytest.raises(gokart.GokartBuildError) as info:
        gokart.build(EmptyDumper(workspace_directory=ws, fail_on_empty_dump=True))
    (errors,) = info.value.raised_exceptions.values()
    assert "empty DataFrame" in str(errors[0])
    assert gokart.build(EmptyDumper(workspace_directory=ws)).empty


@pytest.fixture
def config() -> Any:
    cfg = luigi.configuration.get_config()
    added: list[tuple[str, str]] = []

    def set_option(section: str, key: str, value: str) -> None:
        cfg.set(section, key, value)
        added.append((section, key))

    yield set_option
    for section, key in added:
        cfg.remove_option(section, key)


class Configured(gokart.TaskOnKart[Any]):
    pass


class ConfiguredOwn(gokart.TaskOnKart[Any]):
    pass


def test_taskonkart_config_section_applies_to_every_subclass(config: Any, tmp_path: Path) -> None:
    config("TaskOnKart", "workspace_directory", str(tmp_path / "shared"))
    config("TaskOnKart", "strict-check", "true")
    config("ConfiguredOwn", "workspace_directory", str(tmp_path / "own"))
    assert Configured().workspace_directory == str(tmp_path / "shared")
    assert Configured().strict_check is True
    # precedence: argument, then the task's own section, then [TaskOnKart]
    assert ConfiguredOwn().workspace_directory == str(tmp_path / "own")
    assert Configured(workspace_directory="arg").workspace_directory == "arg"


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    @hookimpl
    def gokart_before_run(self, task: Any) -> None:
        self.events.append(("before", type(task).__name__))

    @hookimpl
    def gokart_after_run(self, task: Any) -> None:
        self.events.append(("after", type(task).__name__))

    @hookimpl
    def gokart_on_failure(self, task: Any, exception: BaseException) -> None:
        self.events.append(("failure", str(exception)))


class Fails(gokart.TaskOnKart[Any]):
    def output(self) -> Any:
        return self.make_target("fails.pkl")

    def run(self) -> None:
        raise RuntimeError("boom")


def test_lifecycle_hooks(plugins: Any, ws: str) -> None:
    recorder = Recorder()
    plugins.pm.register(recorder)
    gokart.build(Value(value="hooked", workspace_directory=ws))
    assert recorder.events == [("before", "Value"), ("after", "Value")]
    recorder.events.clear()
    with pytest.raises(gokart.GokartBuildError):
        gokart.build(Fails(workspace_directory=ws))
    assert recorder.events == [("before", "Fails"), ("failure", "boom")]


class Declared(gokart.TaskOnKart[pd.DataFrame]):
    pass


class DeclaredChild(Declared):
    pass


def test_declared_output_type_reaches_the_format(ws: str) -> None:
    assert Declared(workspace_directory=ws).output().context.declared_type is pd.DataFrame
    assert DeclaredChild(workspace_directory=ws).output().context.declared_type is pd.DataFrame
    assert Value(value="x", workspace_directory=ws).output().context.declared_type is None


def test_command_line_beats_the_taskonkart_section(config: Any, tmp_path: Path) -> None:
    config("TaskOnKart", "workspace_directory", str(tmp_path / "shared"))
    with luigi.cmdline_parser.CmdlineParser.global_instance(
        ["Configured", "--ConfiguredOwn-workspace-directory", str(tmp_path / "cli")]
    ):
        assert ConfiguredOwn().workspace_directory == str(tmp_path / "cli")
        assert Configured().workspace_directory == str(tmp_path / "shared")


class WithoutRedisPlugin(gokart.TaskOnKart[Any]):
    pass


def test_redis_settings_without_the_plugin_say_what_to_install(ws: str) -> None:
    task = WithoutRedisPlugin(workspace_directory=ws, redis_host="localhost", redis_port=6379)
    with pytest.raises(gokart.PluginNotInstalledError, match="pip install gokart-redis"):
        task.output()
    with pytest.raises(gokart.GokartBuildError, match="pip install gokart-redis"):
        gokart.build(task)  # at scheduling, before any run()
    assert not WithoutRedisPlugin(workspace_directory=ws, redis_host="localhost").output().locked
