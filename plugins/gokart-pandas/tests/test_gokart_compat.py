"""Files written by the PyPI ``gokart`` package (1.12) load in gokart-core, and the other way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gokart
import gokart.target
import luigi
import pandas as pd
import pytest

import gokart_core


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [1, 2, 3],
            "score": [0.5, 1.25, -3.0],
            "name": ["alice", "bob", "山田"],
            "flag": [True, False, True],
        }
    )


# (extension, object dumped, frame expected after a load)
CASES = [
    pytest.param(".csv", _frame(), _frame(), id="csv"),
    pytest.param(".tsv", _frame(), _frame(), id="tsv"),
    pytest.param(".csv", pd.Series([1, 2], name="v"), pd.DataFrame({"v": [1, 2]}), id="csv-series"),
    pytest.param(".json", _frame(), _frame(), id="json"),
    pytest.param(".json", {"a": [1, 2]}, pd.DataFrame({"a": [1, 2]}), id="json-dict"),
    pytest.param(".ndjson", _frame(), _frame(), id="ndjson"),
    pytest.param(".parquet", _frame(), _frame(), id="parquet"),
    pytest.param(".feather", _frame(), _frame(), id="feather-range-index"),
    pytest.param(
        ".feather", _frame().set_index("name"), _frame().set_index("name"), id="feather-named-index"
    ),
    pytest.param(
        ".feather",
        pd.DataFrame({"a": [1, 2, 3]}, index=[30, 10, 20]),
        pd.DataFrame({"a": [1, 2, 3]}, index=[30, 10, 20]),
        id="feather-unnamed-index",
    ),
]


def _assert_frames_equal(loaded: Any, expected: pd.DataFrame) -> None:
    assert isinstance(loaded, pd.DataFrame)
    # gokart rebuilds a feather index from a column and a json index from strings: compare values.
    pd.testing.assert_frame_equal(loaded, expected, check_index_type=False)


@pytest.mark.parametrize(("ext", "obj", "expected"), CASES)
def test_gokart_written_file_loads_in_gokart_core(
    tmp_path: Path, ext: str, obj: Any, expected: pd.DataFrame
) -> None:
    path = str(tmp_path / f"by_gokart{ext}")
    gokart.target.make_target(path).dump(obj)
    _assert_frames_equal(gokart_core.make_target(path).load(), expected)


@pytest.mark.parametrize(("ext", "obj", "expected"), CASES)
def test_gokart_core_written_file_loads_in_gokart(
    tmp_path: Path, ext: str, obj: Any, expected: pd.DataFrame
) -> None:
    path = str(tmp_path / f"by_core{ext}")
    gokart_core.make_target(path).dump(obj)
    _assert_frames_equal(gokart.target.make_target(path).load(), expected)


class _GokartTask(gokart.TaskOnKart):  # type: ignore[misc]
    """A task of the PyPI gokart package; its output is named the gokart way (with unique id)."""

    task_namespace = "gokart_pandas_compat"
    extension = luigi.Parameter()

    def output(self) -> Any:
        return self.make_target(f"frame{self.extension}")


@pytest.mark.parametrize("ext", [".csv", ".tsv", ".json", ".ndjson", ".parquet", ".feather"])
def test_gokart_task_output_is_interchangeable(tmp_path: Path, ext: str) -> None:
    """A gokart task's output target, written by gokart, loads in gokart-core and back.

    (``gokart.build`` is not used: with gokart and gokart-core imported in one process, two luigi
    task families are called ``TaskOnKart`` and gokart's PandasTypeConfigMap finds it ambiguous.)
    """
    frame = _frame().set_index("name") if ext == ".feather" else _frame()
    task = _GokartTask(extension=ext, workspace_directory=str(tmp_path))
    target = task.output()
    target.dump(frame)
    path = target.path()
    assert path.endswith(f"frame_{task.make_unique_id()}{ext}")
    _assert_frames_equal(gokart_core.make_target(path).load(), frame)

    reversed_frame = frame.iloc[::-1]
    if ext != ".feather":  # only feather keeps the index
        reversed_frame = reversed_frame.reset_index(drop=True)
    gokart_core.make_target(path).dump(reversed_frame)
    _assert_frames_equal(target.load(), reversed_frame)
