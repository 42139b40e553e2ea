"""make_large_data_frame_target: ordered chunks, empty frames, more chunks than rows."""

from __future__ import annotations

import io
import itertools
import os
import pickle
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fsspec
import luigi
import numpy as np
import pandas as pd
import pytest

import gokart_core as gokart
import gokart_zip
from gokart_core import LoadError, UnsupportedObjectError
from gokart_core.target.target import TargetOnKart, make_target
from gokart_core.testing import FormatConformance
from gokart_zip._large_frame import chunk_bounds, row_sizes


def frame(rows: int) -> pd.DataFrame:
    """One int64 column (8 bytes a row) under a shuffled index: order is visible in both."""
    rng = np.random.default_rng(rows)
    return pd.DataFrame({"v": np.arange(rows, dtype=np.int64)}, index=rng.permutation(rows))


class Frame(gokart.TaskOnKart):
    task_namespace = "gokart_zip_tests"
    rows = luigi.IntParameter()
    max_byte = luigi.IntParameter()

    def output(self) -> Any:
        return self.make_large_data_frame_target("frame.zip", max_byte=self.max_byte)

    def run(self) -> None:
        self.dump(frame(self.rows))


@pytest.fixture(params=["local", "memory"])
def workspace(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "local":
        yield str(tmp_path / "resources")
        return
    url = f"memory://gokart-zip-frames-{os.urandom(6).hex()}"
    yield url
    fs = fsspec.filesystem("memory")
    if fs.exists(url):
        fs.rm(url, recursive=True)


def chunk_names(target: TargetOnKart) -> list[str]:
    with target.fs.open(target.fs_path, "rb") as fp:
        return zipfile.ZipFile(io.BytesIO(fp.read())).namelist()


@pytest.mark.parametrize(
    ("rows", "max_byte", "chunks"),
    [
        pytest.param(1000, 2**26, 1, id="1-chunk"),
        pytest.param(1000, 4000, 2, id="2-chunks"),
        pytest.param(1000, 160, 50, id="50-chunks"),
        pytest.param(3, 1, 3, id="more-chunks-than-rows"),
        pytest.param(1, 1, 1, id="one-row-larger-than-max_byte"),
    ],
)
def test_rows_come_back_in_order(
    workspace: str, tmp_path: Path, rows: int, max_byte: int, chunks: int
) -> None:
    task = Frame(
        rows=rows,
        max_byte=max_byte,
        workspace_directory=workspace,
        local_temporary_directory=str(tmp_path / "tmp"),
    )
    loaded = gokart.build(task)
    pd.testing.assert_frame_equal(loaded, frame(rows))
    assert sorted(chunk_names(task.output())) == sorted(f"data_{i}.pkl" for i in range(chunks))
    assert list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.parametrize(
    "empty",
    [
        pd.DataFrame(),
        pd.DataFrame({"a": pd.Series([], dtype="int64"), "b": pd.Series([], dtype="float32")}),
        pd.DataFrame(index=pd.Index([3, 1, 2], name="id")),
    ],
    ids=["no-columns", "typed-columns", "index-only"],
)
def test_empty_frame(workspace: str, empty: pd.DataFrame) -> None:
    target = make_target(f"{workspace}/empty.zip", format="large-data-frame")
    target.dump(empty)
    pd.testing.assert_frame_equal(target.load(), empty)
    assert chunk_names(target) == ["data_0.pkl"]


def test_more_than_ten_chunks_sort_numerically(tmp_path: Path) -> None:
    """gokart globbed data_*.pkl: data_10 came before data_2 (or anywhere)."""
    target = make_target(
        str(tmp_path / "f.zip"), format="large-data-frame", format_options={"max_byte": 8}
    )
    target.dump(frame(25))
    assert len(chunk_names(target)) == 25
    pd.testing.assert_frame_equal(target.load(), frame(25))


def test_chunks_hold_at_most_max_byte_also_with_strings(tmp_path: Path) -> None:
    words = [("x" * (i % 37)) + str(i) for i in range(2000)]
    df = pd.DataFrame({"word": words, "n": np.arange(2000), "f": np.linspace(0, 1, 2000)})
    max_byte = 10_000
    bounds = chunk_bounds(row_sizes(df), max_byte)
    assert bounds[0] == 0 and bounds[-1] == len(df)
    for start, end in itertools.pairwise(bounds):
        chunk = df.iloc[start:end]
        assert chunk.memory_usage(index=False, deep=True).sum() <= max_byte + 1000
        assert int(row_sizes(chunk).sum()) <= max_byte
    target = make_target(
        str(tmp_path / "f.zip"), format="large-data-frame", format_options={"max_byte": max_byte}
    )
    target.dump(df)
    assert len(chunk_names(target)) == len(bounds) - 1 > 5
    pd.testing.assert_frame_equal(target.load(), df)


def test_default_path_and_max_byte(tmp_path: Path) -> None:
    class Default(gokart.TaskOnKart):
        task_namespace = "gokart_zip_tests"

        def output(self) -> Any:
            return self.make_large_data_frame_target()

    task = Default(workspace_directory=str(tmp_path))
    target = task.output()
    module = Default.__module__.replace(".", "/")
    assert target.path() == os.path.join(
        str(tmp_path), module, f"Default_{task.make_unique_id()}.zip"
    )
    assert target.format.name == "large-data-frame"
    assert target.format.max_byte == 2**26


def test_only_data_frames_are_accepted(tmp_path: Path) -> None:
    target = make_target(str(tmp_path / "f.zip"), format="large-data-frame")
    with pytest.raises(UnsupportedObjectError, match="large-data-frame.*pandas DataFrames"):
        target.dump([1, 2, 3])
    assert not target.exists()


def test_max_byte_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="max_byte"):
        make_target(
            str(tmp_path / "f.zip"), format="large-data-frame", format_options={"max_byte": 0}
        )


def test_a_missing_chunk_is_a_load_error(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("data_0.pkl", pickle.dumps(frame(2)))
        zf.writestr("data_2.pkl", pickle.dumps(frame(2)))
    path = tmp_path / "f.zip"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(LoadError, match=r"lacks the chunks \['data_1.pkl'\]"):
        make_target(str(path), format="large-data-frame").load()


class TestLargeDataFrameConformance(FormatConformance):
    plugin = gokart_zip
    extension = ".zip"
    samples = [frame(100), pd.DataFrame({"s": ["a", "b", None]}), pd.DataFrame()]  # noqa: RUF012
    unsupported = {"not": "a frame"}  # noqa: RUF012

    def assert_same(self, loaded: Any, original: Any) -> None:
        pd.testing.assert_frame_equal(loaded, original)

    def _target(self, workspace: str, name: str = "obj") -> TargetOnKart:
        return make_target(
            f"{workspace}/{name}{self.extension}",
            format="large-data-frame",
            format_options={"max_byte": 256},
        )
