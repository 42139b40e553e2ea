"""``PandasTypeConfig``: declared column types, checked when a task of its namespace dumps."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import luigi
import pandas as pd
import pytest

import gokart_core as gokart
from gokart_core.task.pandas_type_config import PandasTypeConfig, PandasTypeError, config_for


@pytest.fixture(autouse=True)
def keep_configs() -> Iterator[None]:
    """Configs defined inside a test apply to that test only."""
    before = list(PandasTypeConfig._subclasses)
    yield
    PandasTypeConfig._subclasses[:] = before


@pytest.fixture
def ws(tmp_path: Path) -> str:
    return str(tmp_path)


class PtcTypes(gokart.PandasTypeConfig):
    task_namespace = "ptc_typed"

    @classmethod
    def type_dict(cls) -> dict[str, Any]:
        return {"id": int, "name": str, "score": (int, float), "when": pd.Timestamp}


class PtcFrameTask(gokart.TaskOnKart[pd.DataFrame]):
    task_namespace = "ptc_typed"
    bad = luigi.Parameter(default="")

    def output(self) -> Any:
        return self.make_target("frame.pkl")

    def run(self) -> None:
        frame = good_frame()
        if self.bad == "name":
            frame["name"] = pd.Series(["a", 7, "c"], index=frame.index, dtype=object)
        self.dump(frame)


class PtcOtherNamespace(gokart.TaskOnKart[pd.DataFrame]):
    task_namespace = "ptc_untyped"

    def run(self) -> None:
        self.dump(pd.DataFrame({"id": ["not an int"]}))


def good_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [1, 2, 3],
            "name": ["a", "b", "c"],
            "score": [1, 2.5, 3],
            "when": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
            "free": [None, object(), "anything"],
        },
        index=["r0", "r1", "r2"],
    )


def test_a_frame_of_the_declared_types_is_dumped(ws: str) -> None:
    result = gokart.build(PtcFrameTask(workspace_directory=ws))
    pd.testing.assert_frame_equal(result.drop(columns="free"), good_frame().drop(columns="free"))


def test_a_wrong_value_fails_the_dump_naming_task_column_row_and_types(ws: str) -> None:
    task = PtcFrameTask(bad="name", workspace_directory=ws)
    with pytest.raises(gokart.GokartBuildError) as info:
        gokart.build(task)
    (raised,) = [e for errors in info.value.raised_exceptions.values() for e in errors]
    assert isinstance(raised, PandasTypeError)
    assert str(raised) == (
        "PtcFrameTask.dump: PtcTypes: column 'name' must hold str, but row 'r1' holds int (7)"
    )
    assert not task.output().exists()


def test_numpy_floats_are_not_ints(ws: str) -> None:
    frame = good_frame()
    frame["id"] = frame["id"].astype(float)
    with pytest.raises(
        PandasTypeError, match="column 'id' must hold int, but row 'r0' holds float"
    ):
        PtcFrameTask(workspace_directory=ws).dump(frame)


def test_tasks_of_other_namespaces_are_not_checked(ws: str) -> None:
    result = gokart.build(PtcOtherNamespace(workspace_directory=ws))
    assert list(result["id"]) == ["not an int"]


def test_undeclared_columns_and_missing_columns_pass() -> None:
    PtcTypes.check(pd.DataFrame({"id": [1], "other": [object()]}))  # no name/score/when
    PtcTypes.check(pd.DataFrame())


def test_only_data_frames_are_checked(ws: str) -> None:
    task = PtcFrameTask(workspace_directory=ws)
    task.dump({"id": "a dict is not a DataFrame"})  # type: ignore[arg-type]
    assert task.output().load() == {"id": "a dict is not a DataFrame"}


def test_the_config_defined_last_for_a_namespace_applies(ws: str) -> None:
    class PtcLater(gokart.PandasTypeConfig):
        task_namespace = "ptc_typed"

        @classmethod
        def type_dict(cls) -> dict[str, Any]:
            return {"name": int}

    assert config_for("ptc_typed") is PtcLater
    with pytest.raises(PandasTypeError, match="PtcLater: column 'name' must hold int"):
        PtcFrameTask(workspace_directory=ws).dump(good_frame())


def test_luigi_namespace_applies_to_configs_and_tasks(ws: str) -> None:
    luigi.namespace("ptc_scoped", scope=__name__)
    try:

        class PtcScopedTypes(gokart.PandasTypeConfig):
            @classmethod
            def type_dict(cls) -> dict[str, Any]:
                return {"day": datetime.date}

        class PtcScopedTask(gokart.TaskOnKart[pd.DataFrame]):
            pass

    finally:
        luigi.namespace(scope=__name__)
    assert PtcScopedTask.get_task_namespace() == "ptc_scoped"
    task = PtcScopedTask(workspace_directory=ws)
    task.dump(pd.DataFrame({"day": [datetime.date(2024, 1, 1)]}))
    with pytest.raises(PandasTypeError, match="column 'day' must hold datetime.date"):
        task.dump(pd.DataFrame({"day": ["2024-01-01"]}))


def test_a_config_without_type_dict_says_so(ws: str) -> None:
    class PtcIncomplete(gokart.PandasTypeConfig):
        task_namespace = "ptc_incomplete"

    class PtcIncompleteTask(gokart.TaskOnKart[pd.DataFrame]):
        task_namespace = "ptc_incomplete"

    with pytest.raises(NotImplementedError, match="PtcIncomplete .* type_dict"):
        PtcIncompleteTask(workspace_directory=ws).dump(pd.DataFrame({"a": [1]}))


def test_fail_on_empty_dump_still_applies(ws: str) -> None:
    task = PtcFrameTask(workspace_directory=ws, fail_on_empty_dump=True)
    with pytest.raises(ValueError, match="empty DataFrame"):
        task.dump(pd.DataFrame(columns=["id"]))
    assert not os.path.exists(task.output().path())


def test_gokart_names_are_exported() -> None:
    assert gokart.PandasTypeConfig is PandasTypeConfig
    assert gokart.PandasTypeError is PandasTypeError
    assert issubclass(PandasTypeError, gokart.GokartError)
    assert issubclass(PandasTypeConfig, luigi.Config)


def test_core_does_not_import_pandas_for_the_check() -> None:
    code = (
        "import sys, luigi, gokart_core as gokart\n"
        "class T(gokart.PandasTypeConfig):\n"
        "    task_namespace = 'x'\n"
        "    @classmethod\n"
        "    def type_dict(cls): return {'a': int}\n"
        "class K(gokart.TaskOnKart):\n"
        "    task_namespace = 'x'\n"
        "from gokart_core.task.pandas_type_config import check_dump_types\n"
        "check_dump_types(K(), {'a': 'x'})\n"
        "assert 'pandas' not in sys.modules, 'pandas was imported'\n"
    )
    env = {**os.environ, "GOKART_CORE_DISABLE_PLUGIN_AUTOLOAD": "1"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=60)
