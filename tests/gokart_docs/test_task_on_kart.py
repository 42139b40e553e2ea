"""gokart docs, *TaskOnKart* (task_on_kart.rst).

Covered: the outline pipeline (TaskB loads TaskA's output, both at
``{workspace}/output_of_task_x_{unique_id}.pkl``); ``make_target`` naming and every file format
the page lists, dumped and loaded back; the feather note (index kept, or not with
``store_index_in_feather=False`` at ``gokart.target.make_target``); the
``serialized_task_definition_check`` note; ``load()`` of one task, of a dict (whole, by key, by
task instance) and of a ``TaskInstanceParameter`` without ``requires()``; ``dump(obj, key)``
of a dict output; ``load_generator``; ``make_model_target`` with a save / load function;
``should_dump_supplementary_log_files=False``; csv with ``CsvFileProcessor(encoding='cp932')``.

Differs on purpose: ``serialized_task_definition_check`` hashes the syntax tree, so a comment
leaves the id alone (docs/migrating.md). The page's ``print(gokart.build([TaskB(...)]))``
passes a list, which gokart 1.12.2 itself refuses ("Can not schedule non-task"); gokart-core
builds it and returns a list of the outputs, the test checks both forms.
``gokart.in_memory.target.make_in_memory_target``: the object kept in the process, refused in a
task process that luigi forks.
"""

from __future__ import annotations

import importlib.util
import io
import logging
import os
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import luigi
import numpy as np
import pandas as pd
import pyarrow.feather
import pytest

import gokart_binary
import gokart_core as gokart
import gokart_numpy
import gokart_pandas
import gokart_pickle
import gokart_text
import gokart_xml
import gokart_zip
from gokart_core.file_processor import CsvFileProcessor
from gokart_core.plugin.manager import use_plugin_manager
from gokart_core.target import make_target as gokart_make_target
from gokart_core.testing import builtins_only_plugin_manager

from . import files_under


@pytest.fixture(autouse=True)
def all_formats() -> Iterator[None]:
    plugins = (gokart_pickle, gokart_text, gokart_pandas, gokart_xml, gokart_numpy)
    manager = builtins_only_plugin_manager(*plugins, gokart_binary, gokart_zip)
    with use_plugin_manager(manager):
        yield


@pytest.fixture
def ws(tmp_path: Path, set_config: Any) -> Path:
    workspace = tmp_path / "resources"
    set_config("TaskOnKart", "workspace_directory", str(workspace))
    return workspace


class DocsKartTaskA(gokart.TaskOnKart[str]):
    param: str = luigi.Parameter()

    def output(self) -> Any:
        return self.make_target("output_of_task_a.pkl")

    def run(self) -> None:
        self.dump(f"param={self.param}")


class DocsKartTaskB(gokart.TaskOnKart[str]):
    param: str = luigi.Parameter()

    def requires(self) -> Any:
        return DocsKartTaskA(param="world")

    def output(self) -> Any:
        return self.make_target("output_of_task_b.pkl")

    def run(self) -> None:
        self.dump(f"Task A: {self.load()}\nTaskB: param={self.param}")


def test_outline_links_task_a_and_task_b(ws: Path) -> None:
    task = DocsKartTaskB(param="Hello")
    assert gokart.build(task) == "Task A: param=world\nTaskB: param=Hello"
    a = DocsKartTaskA(param="world")
    assert task.output().path() == f"{ws}/output_of_task_b_{task.make_unique_id()}.pkl"
    assert a.output().path() == f"{ws}/output_of_task_a_{a.make_unique_id()}.pkl"
    assert [n for n in files_under(ws) if not n.startswith("log/")] == sorted(
        [
            f"output_of_task_a_{a.make_unique_id()}.pkl",
            f"output_of_task_b_{task.make_unique_id()}.pkl",
        ]
    )


def test_a_list_of_tasks_builds_each(ws: Path) -> None:
    # the page's own line; gokart 1.12.2 refuses a list ("Can not schedule non-task"),
    # gokart-core builds each task and returns their outputs in a list
    outputs = gokart.build([DocsKartTaskB(param="Hello")], log_level=logging.CRITICAL)
    assert outputs == ["Task A: param=world\nTaskB: param=Hello"]


def _png() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + bytes(range(32))


FORMATS: dict[str, Any] = {
    ".pkl": {"any": ["python", "object"]},
    ".txt": "some text\nmore text",
    ".csv": pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}),
    ".tsv": pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}),
    ".gz": "gzipped text",
    ".json": pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}),
    ".xml": ET.ElementTree(ET.fromstring("<root><item>1</item></root>")),
    ".npz": np.arange(6).reshape(2, 3),
    ".parquet": pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}),
    ".feather": pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}, index=[10, 20]),
    ".png": _png(),
    ".jpg": b"\xff\xd8\xff\xe0" + bytes(16),
    ".ini": "[section]\nkey = value",
}


class DocsKartFormatTask(gokart.TaskOnKart[Any]):
    extension: str = luigi.Parameter()

    def output(self) -> Any:
        return self.make_target(f"file_name{self.extension}")

    def run(self) -> None:
        self.dump(FORMATS[self.extension])


def _same(loaded: Any, dumped: Any) -> None:
    if isinstance(dumped, pd.DataFrame):
        pd.testing.assert_frame_equal(loaded, dumped, check_dtype=False)
    elif isinstance(dumped, np.ndarray):
        np.testing.assert_array_equal(loaded, dumped)
    elif isinstance(dumped, ET.ElementTree):
        assert ET.tostring(loaded.getroot()) == ET.tostring(dumped.getroot())
    elif isinstance(dumped, str):
        # text formats load a str or its lines
        assert (loaded if isinstance(loaded, str) else "\n".join(loaded)) == dumped
    else:
        assert loaded == dumped


@pytest.mark.parametrize("extension", list(FORMATS))
def test_make_target_names_and_formats(ws: Path, extension: str) -> None:
    task = DocsKartFormatTask(extension=extension)
    path = Path(task.output().path())
    assert path == ws / f"file_name_{task.make_unique_id()}{extension}"
    loaded = gokart.build(task)
    assert path.is_file()
    _same(loaded, FORMATS[extension])


def test_feather_keeps_the_index_unless_told_not_to(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1, 2]}, index=pd.Index([5, 7], name="key"))
    kept = gokart_make_target(str(tmp_path / "kept.feather"))
    kept.dump(frame)
    pd.testing.assert_frame_equal(kept.load(), frame)
    dropped = gokart_make_target(str(tmp_path / "dropped.feather"), store_index_in_feather=False)
    dropped.dump(frame)
    pd.testing.assert_frame_equal(dropped.load(), frame)  # pyarrow's own pandas metadata
    # gokart's index columns only when asked for (gokart 1.12.2 writes the same columns)
    assert pyarrow.feather.read_table(kept.path()).column_names == [
        "a",
        "__feather_gokart_index__key",
    ]
    assert pyarrow.feather.read_table(dropped.path()).column_names == ["a", "key"]


def _import(path: Path, module: str) -> Any:
    spec = importlib.util.spec_from_file_location(module, path)
    assert spec is not None and spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[module] = loaded
    spec.loader.exec_module(loaded)
    return loaded


DEFINITION = """\
import gokart_core as gokart

class DocsKartDefinedTask(gokart.TaskOnKart):
    def run(self):
        self.dump({value})  # {comment}
"""


def test_serialized_task_definition_check_follows_the_script(tmp_path: Path) -> None:
    ids = {}
    for name, value, comment in [("v1", 1, "a"), ("v2", 2, "a"), ("v1_comment", 1, "b")]:
        path = tmp_path / f"docs_kart_definition_{name}.py"
        path.write_text(DEFINITION.format(value=value, comment=comment))
        module = _import(path, f"docs_kart_definition_{name}")
        try:
            task = module.DocsKartDefinedTask(serialized_task_definition_check=True)
            ids[name] = task.make_unique_id()
            plain = module.DocsKartDefinedTask().make_unique_id()
        finally:
            del sys.modules[f"docs_kart_definition_{name}"]
    assert ids["v1"] != ids["v2"] != plain  # a changed class reruns
    assert ids["v1"] == ids["v1_comment"]  # ours: comments do not count (docs/migrating.md)


class DocsKartLeafA(gokart.TaskOnKart[str]):
    def run(self) -> None:
        self.dump("a")


class DocsKartLeafB(gokart.TaskOnKart[str]):
    def run(self) -> None:
        self.dump("b")


class DocsKartLoads(gokart.TaskOnKart[dict[str, Any]]):
    def requires(self) -> Any:
        return dict(a=DocsKartLeafA(), b=DocsKartLeafB())

    def run(self) -> None:
        self.dump(
            {
                "whole": self.load(),
                "by_key": [self.load("a"), self.load("b")],
                "by_task": [self.load(DocsKartLeafA()), self.load(DocsKartLeafB())],
                "generator": list(self.load_generator()),
            }
        )


def test_load_has_the_shape_of_requires(ws: Path) -> None:
    assert gokart.build(DocsKartLoads()) == {
        "whole": {"a": "a", "b": "b"},
        "by_key": ["a", "b"],
        "by_task": ["a", "b"],
        "generator": ["a", "b"],
    }


class DocsKartUsesInstance(gokart.TaskOnKart[str]):
    task: gokart.TaskOnKart[str] = gokart.TaskInstanceParameter()

    def run(self) -> None:
        self.dump(self.load("task") + "!")


def test_a_task_instance_parameter_needs_no_requires(ws: Path) -> None:
    assert gokart.build(DocsKartUsesInstance(task=DocsKartLeafA())) == "a!"


class DocsKartTwoOutputs(gokart.TaskOnKart[Any]):
    def requires(self) -> Any:
        return DocsKartLeafA()

    def output(self) -> Any:
        return dict(a=self.make_target("output_a.pkl"), b=self.make_target("output_b.pkl"))

    def run(self) -> None:
        self.dump(self.load().upper(), "a")
        self.dump(self.load() * 2, "b")


def test_dump_by_key_of_a_dict_output(ws: Path) -> None:
    task = DocsKartTwoOutputs()
    assert gokart.build(task) == {"a": "A", "b": "aa"}
    uid = task.make_unique_id()
    assert (ws / f"output_a_{uid}.pkl").is_file() and (ws / f"output_b_{uid}.pkl").is_file()


class DocsKartModel:
    """Stands for a model of a library that saves itself to a file of its own format."""

    def __init__(self, words: list[str]) -> None:
        self.words = words

    def save(self, path: str) -> None:
        Path(path).write_text("\n".join(self.words))

    @classmethod
    def load(cls, path: str) -> DocsKartModel:
        return cls(Path(path).read_text().split("\n"))


class DocsKartTrain(gokart.TaskOnKart[DocsKartModel]):
    def output(self) -> Any:
        return self.make_model_target(
            "model.zip", save_function=DocsKartModel.save, load_function=DocsKartModel.load
        )

    def run(self) -> None:
        self.dump(DocsKartModel(["kart", "go"]))


def test_make_model_target_zips_what_the_save_function_writes(ws: Path) -> None:
    task = DocsKartTrain()
    model = gokart.build(task)
    assert isinstance(model, DocsKartModel) and model.words == ["kart", "go"]
    assert (ws / f"model_{task.make_unique_id()}.zip").is_file()


class DocsKartNoLogs(gokart.TaskOnKart[int]):
    def run(self) -> None:
        self.dump(1)


def test_without_supplementary_log_files(ws: Path) -> None:
    task = DocsKartNoLogs(should_dump_supplementary_log_files=False)
    assert gokart.build(task) == 1
    assert not (ws / "log").exists()
    gokart.build(DocsKartNoLogs(rerun=True))
    uid = task.make_unique_id()
    assert os.path.isfile(ws / "log" / "task_params" / f"DocsKartNoLogs_{uid}.pkl")


class DocsKartCsv(gokart.TaskOnKart[pd.DataFrame]):
    encoding: str = luigi.Parameter(default="utf-8")

    def output(self) -> Any:
        if self.encoding == "utf-8":
            return self.make_target("file_name.csv")
        return self.make_target("file_name.csv", processor=CsvFileProcessor(encoding="cp932"))

    def run(self) -> None:
        self.dump(pd.DataFrame({"name": ["ゴーカート"], "n": [1]}))


@pytest.mark.parametrize("encoding", ["utf-8", "cp932"])
def test_csv_with_encoding(ws: Path, encoding: str) -> None:
    task = DocsKartCsv(encoding=encoding)
    loaded = gokart.build(task)
    assert list(loaded["name"]) == ["ゴーカート"]
    raw = Path(task.output().path()).read_bytes()
    assert "ゴーカート".encode(encoding) in raw
    frame = pd.read_csv(io.BytesIO(raw), encoding=encoding)
    assert list(frame["name"]) == ["ゴーカート"]


class DocsKartInMemory(gokart.TaskOnKart[list[int]]):
    """The page's in-memory output: ``make_in_memory_target`` in ``output()``."""

    n = luigi.IntParameter()

    def output(self) -> Any:
        from gokart_core.in_memory.target import make_in_memory_target

        # The page passes gokart's lock parameters with no redis: no lock.
        return make_in_memory_target("dummy_path", None, self.make_unique_id())

    def run(self) -> None:
        self.dump(list(range(self.n)))


class DocsKartFromMemory(gokart.TaskOnKart[int]):
    n = luigi.IntParameter()

    def requires(self) -> Any:
        return DocsKartInMemory(n=self.n)

    def output(self) -> Any:
        return self.make_target("from_memory.pkl")

    def run(self) -> None:
        self.dump(sum(self.load()))


def test_in_memory_target(ws: Path) -> None:
    from gokart_core.in_memory import InMemoryCacheRepository

    assert gokart.build(DocsKartFromMemory(n=4)) == 6
    upstream = DocsKartInMemory(n=4)
    kept = upstream.output()
    assert kept.exists() and kept.path() == f"dummy_path_{upstream.make_unique_id()}"
    assert kept.load() is kept.load()  # the object itself, not a copy read back
    # nothing of it on disk: only the downstream task's file and the logs
    assert not [p for p in ws.rglob("*") if "dummy_path" in p.name]
    InMemoryCacheRepository().remove(kept.path())
    assert not upstream.complete()


class _Summaries:
    def __init__(self) -> None:
        self.seen: list[Any] = []

    @gokart.plugin_api.hookimpl
    def gokart_build_finished(self, summary: Any) -> None:
        self.seen.append(summary)


def test_an_in_memory_target_is_refused_in_a_forked_task(ws: Path) -> None:
    from gokart_core.plugin.manager import get_plugins

    summaries = _Summaries()
    get_plugins().pm.register(summaries)  # the module's manager (all_formats), for this test
    with pytest.raises(gokart.GokartBuildError) as info:
        gokart.build(DocsKartFromMemory(n=5), workers=2)
    # The dump raised in the forked child (ProcessLocalStorageError, in its log); the build
    # names the task that failed.
    assert "DocsKartInMemory" in str(info.value)
    (summary,) = summaries.seen
    (failed,) = summary.with_status("failed")
    assert failed.name == "DocsKartInMemory"
    assert "ProcessLocalStorageError: in-memory target" in failed.error
    assert not DocsKartInMemory(n=5).output().exists()
