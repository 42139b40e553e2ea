"""polars frames in the pandas plugin's formats: written by polars, interchangeable with pandas."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

# polars is an optional dependency of the plugin; its `test` extra installs it.
import polars as pl
import polars.testing
import pyarrow as pa
import pyarrow.feather
import pyarrow.parquet
import pytest

import gokart_core as gokart
import gokart_pandas
from gokart_core import TargetOnKart, UnsupportedObjectError
from gokart_core.testing import FormatConformance

#: Every extension that takes a polars frame.
EXTENSIONS = [".csv", ".tsv", ".parquet", ".feather", ".ndjson"]
INDEX_PREFIX = "__feather_gokart_index__"


def _pl_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "id": [1, 2, 3],
            "score": [0.5, 1.25, -3.0],
            "name": ["alice", "bob", "carol"],
            "flag": [True, False, True],
        }
    )


def _pd_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [1, 2, 3],
            "score": [0.5, 1.25, -3.0],
            "name": ["alice", "bob", "carol"],
            "flag": [True, False, True],
        }
    )


def _target(path: str, declared: Any = pl.DataFrame, **options: Any) -> TargetOnKart:
    return gokart.make_target(path, format_options=options or None, declared_type=declared)


@pytest.fixture(params=["local", "memory"])
def workspace(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "local":
        return str(tmp_path)
    url: str = request.getfixturevalue("memory_workspace")
    return url


# --- conformance: polars frames, loaded as polars ------------------------------------------


class _PolarsConformance(FormatConformance):
    plugin = gokart_pandas
    samples = [  # noqa: RUF012
        _pl_frame(),
        pl.DataFrame({"a": list(range(1000))}).lazy(),  # streamed to a local file
    ]
    unsupported = pl.Series("a", [1, 2])

    def _target(self, workspace: str, name: str = "obj") -> TargetOnKart:
        target = super()._target(workspace, name)
        target.context = dataclasses.replace(target.context, declared_type=pl.DataFrame)
        return target

    def assert_same(self, loaded: Any, original: Any) -> None:
        if isinstance(original, pl.LazyFrame):
            original = original.collect()
        pl.testing.assert_frame_equal(loaded, original)

    def corrupt(self, data: bytes) -> bytes:
        if self.extension in {".parquet", ".feather"}:
            return data[: len(data) // 2]
        return b"\xff\xfe\x00garbage"  # not utf-8


class TestPolarsCsvConformance(_PolarsConformance):
    extension = ".csv"


class TestPolarsTsvConformance(_PolarsConformance):
    extension = ".tsv"


class TestPolarsParquetConformance(_PolarsConformance):
    extension = ".parquet"


class TestPolarsFeatherConformance(_PolarsConformance):
    extension = ".feather"


class TestPolarsNdjsonConformance(_PolarsConformance):
    extension = ".ndjson"


# --- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_dataframe_round_trip(workspace: str, ext: str) -> None:
    target = _target(f"{workspace}/x{ext}")
    target.dump(_pl_frame())
    loaded = target.load()
    assert isinstance(loaded, pl.DataFrame)
    pl.testing.assert_frame_equal(loaded, _pl_frame())


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_lazyframe_dump_and_lazy_load(workspace: str, ext: str) -> None:
    query = _pl_frame().lazy().filter(pl.col("id") > 1).with_columns(double=pl.col("score") * 2)
    target = _target(f"{workspace}/x{ext}", declared=pl.LazyFrame)
    target.dump(query)
    loaded = target.load()
    assert isinstance(loaded, pl.LazyFrame)
    pl.testing.assert_frame_equal(loaded.collect(), query.collect())


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_lazyframe_of_a_query_polars_may_not_stream(tmp_path: Path, ext: str) -> None:
    """A sort, a group-by and a join, sunk to a local file (or collected, on older polars)."""
    other = pl.LazyFrame({"id": [1, 2, 3], "group": ["a", "b", "a"]})
    query = (
        _pl_frame()
        .lazy()
        .join(other, on="id")
        .group_by("group")
        .agg(pl.col("score").sum())
        .sort("group")
    )
    target = _target(str(tmp_path / f"x{ext}"))
    target.dump(query)
    pl.testing.assert_frame_equal(target.load(), query.collect())


@pytest.mark.parametrize("ext", [".csv.gz", ".parquet.gz", ".ndjson.gz", ".feather.gz"])
def test_compressed_round_trip(workspace: str, ext: str) -> None:
    target = _target(f"{workspace}/x{ext}")
    target.dump(_pl_frame().lazy())
    pl.testing.assert_frame_equal(target.load(), _pl_frame())


def test_larger_frame_round_trips(tmp_path: Path) -> None:
    frame = pl.DataFrame({"a": range(100_000), "b": [chr(97 + i % 7) for i in range(100_000)]})
    for ext in EXTENSIONS:
        target = _target(str(tmp_path / f"x{ext}"))
        target.dump(frame)
        pl.testing.assert_frame_equal(target.load(), frame)


def test_nulls_round_trip(workspace: str) -> None:
    frame = pl.DataFrame({"a": [1, None, 3], "b": ["x", None, "z"], "c": [0.5, 1.0, None]})
    for ext in EXTENSIONS:
        target = _target(f"{workspace}/x{ext}")
        target.dump(frame)
        pl.testing.assert_frame_equal(target.load(), frame)


# --- end to end ------------------------------------------------------------------------------


class _MakePolars(gokart.TaskOnKart[pl.DataFrame]):
    def output(self) -> TargetOnKart:
        return self.make_target("x.parquet")

    def run(self) -> None:
        self.dump(_pl_frame())


class _MakeLazy(gokart.TaskOnKart[pl.LazyFrame]):
    def output(self) -> TargetOnKart:
        return self.make_target("lazy.feather")

    def run(self) -> None:
        self.dump(_pl_frame().lazy().select("id", "name"))


class _UsePolars(gokart.TaskOnKart[pl.DataFrame]):
    def requires(self) -> dict[str, gokart.TaskOnKart[Any]]:
        return {"frame": _MakePolars(), "lazy": _MakeLazy()}

    def output(self) -> TargetOnKart:
        return self.make_target("joined.csv")

    def run(self) -> None:
        frame = self.load("frame")
        lazy = self.load("lazy")
        assert isinstance(frame, pl.DataFrame)
        assert isinstance(lazy, pl.LazyFrame)
        joined = lazy.join(frame.lazy(), on=["id", "name"]).sort("id")
        self.dump(joined.select(frame.columns))


class _MakePandas(gokart.TaskOnKart[pd.DataFrame]):
    def output(self) -> TargetOnKart:
        return self.make_target("x.parquet")

    def run(self) -> None:
        self.dump(_pd_frame())


def test_build_of_a_polars_task(tmp_path: Path) -> None:
    loaded = gokart.build(_MakePolars(workspace_directory=str(tmp_path)))
    assert isinstance(loaded, pl.DataFrame)
    pl.testing.assert_frame_equal(loaded, _pl_frame())
    # The file is an ordinary parquet file.
    (path,) = tmp_path.glob("x_*.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(path), _pd_frame())


def test_build_of_a_polars_pipeline(tmp_path: Path) -> None:
    loaded = gokart.build(_UsePolars(workspace_directory=str(tmp_path)))
    assert isinstance(loaded, pl.DataFrame)
    pl.testing.assert_frame_equal(loaded, _pl_frame())


def test_build_of_a_pandas_task_stays_pandas(tmp_path: Path) -> None:
    loaded = gokart.build(_MakePandas(workspace_directory=str(tmp_path)))
    assert isinstance(loaded, pd.DataFrame)
    pd.testing.assert_frame_equal(loaded, _pd_frame())


# --- pandas stays the default ----------------------------------------------------------------


@pytest.mark.parametrize("declared", [None, pd.DataFrame])
@pytest.mark.parametrize("ext", EXTENSIONS)
def test_pandas_is_the_default(workspace: str, ext: str, declared: Any) -> None:
    target = _target(f"{workspace}/x{ext}", declared=declared)
    assert target.context.declared_type is declared
    target.dump(_pl_frame())
    loaded = target.load()
    assert isinstance(loaded, pd.DataFrame)
    pd.testing.assert_frame_equal(loaded, _pd_frame())


def test_pandas_use_does_not_import_polars(tmp_path: Path) -> None:
    code = f"""
import sys
import pandas as pd
import gokart_core as gokart
for ext in {[*EXTENSIONS, ".json"]!r}:
    target = gokart.make_target({str(tmp_path)!r} + "/x" + ext)
    target.dump(pd.DataFrame({{"a": [1, 2]}}))
    target.load()
print("polars" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.split() == ["False"]


# --- the files are interchangeable -----------------------------------------------------------


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_polars_writes_pandas_loads(workspace: str, ext: str) -> None:
    _target(f"{workspace}/x{ext}").dump(_pl_frame())
    loaded = _target(f"{workspace}/x{ext}", declared=None).load()
    assert isinstance(loaded, pd.DataFrame)
    pd.testing.assert_frame_equal(loaded, _pd_frame())


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_pandas_writes_polars_loads(workspace: str, ext: str) -> None:
    _target(f"{workspace}/x{ext}", declared=None).dump(_pd_frame())
    loaded = _target(f"{workspace}/x{ext}").load()
    assert isinstance(loaded, pl.DataFrame)
    pl.testing.assert_frame_equal(loaded, _pl_frame())


def test_polars_parquet_is_read_by_pyarrow(tmp_path: Path) -> None:
    _target(str(tmp_path / "x.parquet")).dump(_pl_frame())
    table = pyarrow.parquet.read_table(tmp_path / "x.parquet")
    assert table.column_names == ["id", "score", "name", "flag"]


def test_polars_feather_uses_plain_arrow_strings(tmp_path: Path) -> None:
    """Written at polars' oldest compatibility level, so any pyarrow (and gokart) reads it."""
    for frame in (_pl_frame(), _pl_frame().lazy()):
        _target(str(tmp_path / "x.feather")).dump(frame)
        table = pyarrow.feather.read_table(tmp_path / "x.feather")
        assert table.schema.field("name").type == pa.large_string()
        assert not any(c.startswith(INDEX_PREFIX) for c in table.column_names)


# --- feather: gokart's index column ----------------------------------------------------------


def test_feather_default_index_column_is_dropped(tmp_path: Path) -> None:
    """gokart writes ``__feather_gokart_index__None`` = 0..n-1 for every frame: nothing to keep."""
    path = tmp_path / "x.feather"
    frame = _pd_frame()
    frame[f"{INDEX_PREFIX}None"] = frame.index
    pyarrow.feather.write_feather(frame, path)
    pl.testing.assert_frame_equal(_target(str(path)).load(), _pl_frame())


def test_feather_named_index_is_kept_as_a_column(tmp_path: Path) -> None:
    path = str(tmp_path / "x.feather")
    _target(path, declared=None).dump(_pd_frame().set_index("name"))
    loaded = _target(path).load()
    index = pl.col("name").alias(f"{INDEX_PREFIX}name")
    expected = _pl_frame().select("id", "score", "flag", index)
    pl.testing.assert_frame_equal(loaded, expected)
    # Dumped back by polars, pandas restores the index from the column.
    again = str(tmp_path / "y.feather")
    _target(again).dump(loaded)
    pd.testing.assert_frame_equal(
        _target(again, declared=None).load(), _pd_frame().set_index("name")
    )


def test_feather_unnamed_non_default_index_is_kept(tmp_path: Path) -> None:
    path = str(tmp_path / "x.feather")
    _target(path, declared=None).dump(pd.DataFrame({"a": [1, 2, 3]}, index=[30, 10, 20]))
    loaded = _target(path).load()
    expected = pl.DataFrame({"a": [1, 2, 3], f"{INDEX_PREFIX}None": [30, 10, 20]})
    pl.testing.assert_frame_equal(loaded, expected)


def test_feather_without_store_index_keeps_every_column(tmp_path: Path) -> None:
    path = tmp_path / "x.feather"
    frame = pd.DataFrame({"a": [1, 2], f"{INDEX_PREFIX}None": [0, 1]})
    pyarrow.feather.write_feather(frame, path)
    loaded = _target(str(path), store_index_in_feather=False).load()
    pl.testing.assert_frame_equal(loaded, pl.from_pandas(frame))


# --- csv, ndjson, parquet details ------------------------------------------------------------


def test_csv_is_written_by_polars(tmp_path: Path) -> None:
    _target(str(tmp_path / "x.csv")).dump(pl.DataFrame({"a": [1, 2], "b": [True, None]}))
    # polars' spelling (pandas would write True/False and no trailing nothing-at-all).
    assert (tmp_path / "x.csv").read_text() == "a,b\n1,true\n2,\n"


def test_tsv_and_sep_option(tmp_path: Path) -> None:
    _target(str(tmp_path / "x.tsv")).dump(pl.DataFrame({"a": [1], "b": ["x,y"]}))
    assert (tmp_path / "x.tsv").read_text() == "a\tb\n1\tx,y\n"
    target = _target(str(tmp_path / "y.csv"), sep=";")
    target.dump(pl.DataFrame({"a": [1], "b": ["x,y"]}).lazy())
    assert (tmp_path / "y.csv").read_text() == "a;b\n1;x,y\n"
    pl.testing.assert_frame_equal(target.load(), pl.DataFrame({"a": [1], "b": ["x,y"]}))


@pytest.mark.parametrize("lazy", [False, True])
def test_csv_encoding_cp932(workspace: str, lazy: bool) -> None:
    frame = pl.DataFrame({"名前": ["山田", "佐藤"], "n": [1, 2]})
    target = _target(f"{workspace}/x.csv", encoding="cp932")
    target.dump(frame.lazy() if lazy else frame)
    with target.fs.open(target.fs_path, "rb") as f:
        assert f.read().decode("cp932") == "名前,n\n山田,1\n佐藤,2\n"
    pl.testing.assert_frame_equal(target.load(), frame)
    # And pandas reads the same file.
    loaded = _target(f"{workspace}/x.csv", declared=None, encoding="cp932").load()
    pd.testing.assert_frame_equal(loaded, pd.DataFrame({"名前": ["山田", "佐藤"], "n": [1, 2]}))


def test_csv_types_come_from_every_row_when_the_first_ones_mislead(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [str(i) for i in range(500)] + ["x"]})
    _target(str(tmp_path / "x.csv"), declared=None).dump(frame)
    loaded = _target(str(tmp_path / "x.csv")).load()
    pl.testing.assert_frame_equal(loaded, pl.DataFrame({"a": frame["a"].tolist()}))


@pytest.mark.parametrize("body", [b"", b"1\n2\n"])
def test_csv_header_that_is_not_utf8_is_an_error(tmp_path: Path, body: bytes) -> None:
    """polars would decode the header leniently; the file is not utf-8, so it does not load."""
    (tmp_path / "x.csv").write_bytes("名前\n".encode("cp932") + body)
    with pytest.raises(gokart.LoadError, match="x.csv"):
        _target(str(tmp_path / "x.csv")).load()
    loaded = _target(str(tmp_path / "x.csv"), encoding="cp932").load()
    assert loaded.columns == ["名前"]


def test_csv_header_with_a_real_replacement_character_loads(tmp_path: Path) -> None:
    frame = pl.DataFrame({"a\ufffd": [1]})
    target = _target(str(tmp_path / "x.csv"))
    target.dump(frame)
    pl.testing.assert_frame_equal(target.load(), frame)


def test_ndjson_keys_that_appear_late_are_kept(tmp_path: Path) -> None:
    lines = ['{"a": 1}'] * 300 + ['{"a": 2, "b": "x"}']
    (tmp_path / "x.ndjson").write_text("\n".join(lines) + "\n")
    loaded = _target(str(tmp_path / "x.ndjson")).load()
    assert loaded.columns == ["a", "b"]
    assert loaded["b"].to_list()[-1] == "x"


@pytest.mark.parametrize("ext", [".csv", ".tsv", ".ndjson"])
def test_empty_file_loads_as_an_empty_polars_frame(tmp_path: Path, ext: str) -> None:
    (tmp_path / f"x{ext}").write_bytes(b"")
    for declared, cls in ((pl.DataFrame, pl.DataFrame), (pl.LazyFrame, pl.LazyFrame)):
        loaded = _target(str(tmp_path / f"x{ext}"), declared=declared).load()
        assert isinstance(loaded, cls)
        eager = loaded.collect() if isinstance(loaded, pl.LazyFrame) else loaded
        pl.testing.assert_frame_equal(eager, pl.DataFrame())


@pytest.mark.parametrize(
    ("compression", "codec"), [(None, "UNCOMPRESSED"), ("gzip", "GZIP"), ("snappy", "SNAPPY")]
)
def test_parquet_compression_option(tmp_path: Path, compression: str | None, codec: str) -> None:
    for i, frame in enumerate((_pl_frame(), _pl_frame().lazy())):
        path = tmp_path / f"x{i}.parquet"
        target = _target(str(path), compression=compression)
        target.dump(frame)
        metadata = pyarrow.parquet.ParquetFile(path).metadata
        assert metadata.row_group(0).column(0).compression == codec
        pl.testing.assert_frame_equal(target.load(), _pl_frame())


def test_parquet_default_codec_is_not_gzip(tmp_path: Path) -> None:
    _target(str(tmp_path / "x.parquet")).dump(_pl_frame())
    metadata = pyarrow.parquet.ParquetFile(tmp_path / "x.parquet").metadata
    assert metadata.row_group(0).column(0).compression != "GZIP"


# --- what polars frames cannot be dumped to --------------------------------------------------


@pytest.mark.parametrize("obj", [_pl_frame(), _pl_frame().lazy()])
def test_json_refuses_polars_frames_and_names_the_formats_that_take_them(
    tmp_path: Path, obj: Any
) -> None:
    target = _target(str(tmp_path / "x.json"))
    with pytest.raises(UnsupportedObjectError) as info:
        target.dump(obj)
    assert isinstance(info.value, TypeError)
    message = str(info.value)
    for ext in EXTENSIONS:
        assert ext in message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_polars_series_is_refused(tmp_path: Path, ext: str) -> None:
    target = _target(str(tmp_path / f"x{ext}"))
    with pytest.raises(UnsupportedObjectError, match="polars.DataFrame or polars.LazyFrame"):
        target.dump(pl.Series("a", [1, 2]))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("ext", [".parquet", ".feather", ".csv", ".ndjson"])
def test_failed_lazy_query_keeps_the_previous_output(tmp_path: Path, ext: str) -> None:
    target = _target(str(tmp_path / f"x{ext}"))
    target.dump(_pl_frame())
    broken = (
        pl.DataFrame({"name": ["a", "b"] * 1000})
        .lazy()
        .select(pl.col("name").cast(pl.Int64, strict=True))
    )
    # polars' writer threads may still create a file they were given by path after the error
    # has been raised: repeated, so that such a late file would show here.
    for _ in range(30):
        with pytest.raises(Exception, match="conversion|cast"):
            target.dump(broken)
    time.sleep(0.05)
    assert [p.name for p in tmp_path.iterdir()] == [f"x{ext}"]
    assert target.load()["name"].to_list() == _pl_frame()["name"].to_list()
