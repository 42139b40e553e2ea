"""gokart docs, *For Pandas* (for_pandas.rst).

Covered: a ``PandasTypeConfig`` subclass whose ``type_dict()`` declares ``int_column: int``
makes the dump of a frame with a str there fail with ``PandasTypeError`` (and a frame of ints
dump); ``self.load()`` of a required task's DataFrame; ``fail_on_empty_dump`` from the command
line, ``EmptyTask --fail-on-empty-dump true`` failing and ``EmptyTask`` writing an empty frame.
The error is the page's ``gokart.errors.EmptyDumpError`` (an ``AssertionError``, as in gokart
1.12.2, and a ``ValueError``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import gokart_core as gokart
import gokart_pandas
import gokart_pickle
from gokart_core.plugin.manager import use_plugin_manager
from gokart_core.task.pandas_type_config import PandasTypeConfig
from gokart_core.testing import builtins_only_plugin_manager


@pytest.fixture(autouse=True)
def pandas_formats() -> Iterator[None]:
    with use_plugin_manager(builtins_only_plugin_manager(gokart_pickle, gokart_pandas)):
        yield


@pytest.fixture
def ws(tmp_path: Path, set_config: Any) -> Path:
    workspace = tmp_path / "resources"
    set_config("TaskOnKart", "workspace_directory", str(workspace))
    return workspace


@pytest.fixture
def type_configs() -> Iterator[None]:
    """A config defined in a test (for tasks of no namespace, as the page's) is that test's."""
    before = list(PandasTypeConfig._subclasses)
    yield
    PandasTypeConfig._subclasses[:] = before


class DocsPandasSampleTask(gokart.TaskOnKart[pd.DataFrame]):
    value: str = gokart.ExplicitBoolParameter(default=False)

    def run(self) -> None:
        self.dump(pd.DataFrame(dict(int_column=[1] if self.value else ["a"])))


def test_pandas_type_config_refuses_a_wrong_column_type(ws: Path, type_configs: None) -> None:
    class DocsPandasTypeConfig(gokart.PandasTypeConfig):
        @classmethod
        def type_dict(cls) -> dict[str, Any]:
            return {"int_column": int}

    with pytest.raises(gokart.PandasTypeError, match="int_column"):
        DocsPandasSampleTask().run()
    frame = gokart.build(DocsPandasSampleTask(value=True))
    assert list(frame["int_column"]) == [1]


class DocsPandasMakeDataFrameTask(gokart.TaskOnKart[pd.DataFrame]):
    def run(self) -> None:
        self.dump(pd.DataFrame({"id": [1, 2, 3]}))


class DocsPandasLoadTask(gokart.TaskOnKart[int]):
    def requires(self) -> Any:
        return DocsPandasMakeDataFrameTask()

    def run(self) -> None:
        df = self.load()
        assert isinstance(df, pd.DataFrame)
        self.dump(int(df["id"].sum()))


def test_load_gives_the_required_data_frame(ws: Path) -> None:
    assert gokart.build(DocsPandasLoadTask()) == 6


class DocsPandasEmptyTask(gokart.TaskOnKart[pd.DataFrame]):
    def run(self) -> None:
        self.dump(pd.DataFrame())


def _run(*args: str) -> int:
    """``python main.py *args --local-scheduler``, in this process: ``--no-lock``, as luigi's
    pid lock takes a second run of one command in one process for a concurrent one (gokart's
    too)."""
    with pytest.raises(SystemExit) as exited:
        gokart.run([*args, "--local-scheduler", "--no-lock"])
    return int(exited.value.code or 0)


def test_fail_on_empty_dump_from_the_command_line(ws: Path) -> None:
    assert _run("DocsPandasEmptyTask", "--fail-on-empty-dump", "true") != 0
    task = DocsPandasEmptyTask()
    assert not task.complete()
    assert _run("DocsPandasEmptyTask") == 0
    assert task.output().load().empty


def test_fail_on_empty_dump_refuses_the_dump(ws: Path) -> None:
    with pytest.raises(ValueError, match="fail_on_empty_dump"):
        DocsPandasEmptyTask(fail_on_empty_dump=True).run()


def test_empty_dump_error_is_gokart_errors_empty_dump_error(ws: Path) -> None:
    from gokart_core import errors

    with pytest.raises(errors.EmptyDumpError) as raised:
        DocsPandasEmptyTask(fail_on_empty_dump=True).run()
    assert isinstance(raised.value, AssertionError)  # gokart's base class
    assert not DocsPandasEmptyTask().output().exists()
