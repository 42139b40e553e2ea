from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.feather
import pyarrow.parquet
import pytest

import gokart_core as gokart
import gokart_pandas
from gokart_core import LoadError
from gokart_core.testing import FormatConformance

INDEX_PREFIX = "__feather_gokart_index__"


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [1, 2, 3],
            "score": [0.5, 1.25, -3.0],
            "name": ["alice", "bob", "carol"],
            "flag": [True, False, True],
        }
    )


class _FrameConformance(FormatConformance):
    plugin = gokart_pandas

    def assert_same(self, loaded: Any, original: Any) -> None:
        pd.testing.assert_frame_equal(loaded, original)


class _TextConformance(_FrameConformance):
    def corrupt(self, data: bytes) -> bytes:
        # Half a csv is still a csv: bytes that are not utf-8 are not.
        return b"\xff\xfe\x00garbage"


class TestCsvConformance(_TextConformance):
    extension = ".csv"
    samples = [_frame(), pd.DataFrame({"a": list(range(10_000))})]  # noqa: RUF012
    unsupported = {"a": [1, 2]}  # noqa: RUF012


class TestTsvConformance(_TextConformance):
    extension = ".tsv"
    samples = [_frame(), pd.DataFrame({"a b": ["x, y", "z"]})]  # noqa: RUF012
    unsupported = [1, 2, 3]  # noqa: RUF012


class TestJsonConformance(_FrameConformance):
    extension = ".json"
    samples = [_frame(), pd.DataFrame({"a": list(range(1000))})]  # noqa: RUF012
    unsupported = [1, 2, 3]  # noqa: RUF012


class TestNdjsonConformance(_FrameConformance):
    extension = ".ndjson"
    samples = [_frame(), pd.DataFrame({"a": list(range(1000))})]  # noqa: RUF012
    unsupported = "text"


class TestParquetConformance(_FrameConformance):
    extension = ".parquet"
    samples = [_frame(), pd.DataFrame({"a": list(range(1000))})]  # noqa: RUF012
    unsupported = [1, 2, 3]  # noqa: RUF012


class TestFeatherConformance(_FrameConformance):
    extension = ".feather"
    samples = [  # noqa: RUF012
        _frame(),
        _frame().set_index("name"),
        pd.DataFrame({"a": [1, 2, 3]}, index=[30, 10, 20]),
    ]
    unsupported = pd.Series([1, 2])


# --- csv / tsv -------------------------------------------------------------------------------


def test_csv_is_written_without_the_index(tmp_path: Path) -> None:
    target = gokart.make_target(str(tmp_path / "x.csv"))
    target.dump(pd.DataFrame({"a": [1, 2]}, index=[7, 8]))
    assert (tmp_path / "x.csv").read_text() == "a\n1\n2\n"


def test_csv_encoding_cp932(tmp_path: Path) -> None:
    frame = pd.DataFrame({"名前": ["山田", "佐藤"], "n": [1, 2]})
    path = str(tmp_path / "x.csv")
    gokart.make_target(path, format_options={"encoding": "cp932"}).dump(frame)
    raw = (tmp_path / "x.csv").read_bytes()
    assert raw.decode("cp932") == "名前,n\n山田,1\n佐藤,2\n"
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    loaded = gokart.make_target(path, format_options={"encoding": "cp932"}).load()
    pd.testing.assert_frame_equal(loaded, frame)
    # Read as utf-8 (the default), the file does not decode: a LoadError naming the path.
    with pytest.raises(LoadError, match="x.csv"):
        gokart.make_target(path).load()


def test_csv_is_utf8_by_default(tmp_path: Path) -> None:
    frame = pd.DataFrame({"名前": ["山田"]})
    target = gokart.make_target(str(tmp_path / "x.csv"))
    target.dump(frame)
    assert (tmp_path / "x.csv").read_bytes() == "名前\n山田\n".encode()
    pd.testing.assert_frame_equal(target.load(), frame)


def test_csv_sep_option(tmp_path: Path) -> None:
    target = gokart.make_target(str(tmp_path / "x.csv"), format_options={"sep": ";"})
    target.dump(pd.DataFrame({"a": [1], "b": ["x,y"]}))
    assert (tmp_path / "x.csv").read_text() == "a;b\n1;x,y\n"
    pd.testing.assert_frame_equal(target.load(), pd.DataFrame({"a": [1], "b": ["x,y"]}))


def test_tsv_is_tab_separated(tmp_path: Path) -> None:
    target = gokart.make_target(str(tmp_path / "x.tsv"))
    target.dump(pd.DataFrame({"a": [1], "b": [2]}))
    assert (tmp_path / "x.tsv").read_text() == "a\tb\n1\t2\n"


def test_explicit_format_name(tmp_path: Path) -> None:
    target = gokart.make_target(str(tmp_path / "x.data"), format="tsv")
    target.dump(pd.DataFrame({"a": [1], "b": [2]}))
    assert (tmp_path / "x.data").read_text() == "a\tb\n1\t2\n"


def test_csv_accepts_a_series(tmp_path: Path) -> None:
    target = gokart.make_target(str(tmp_path / "x.csv"))
    target.dump(pd.Series([1, 2, 3], name="value"))
    pd.testing.assert_frame_equal(target.load(), pd.DataFrame({"value": [1, 2, 3]}))


@pytest.mark.parametrize("ext", [".csv", ".tsv"])
def test_empty_file_loads_as_an_empty_frame(tmp_path: Path, ext: str) -> None:
    (tmp_path / f"x{ext}").write_bytes(b"")
    loaded = gokart.make_target(str(tmp_path / f"x{ext}")).load()
    assert isinstance(loaded, pd.DataFrame)
    assert loaded.empty
    assert len(loaded.columns) == 0


def test_empty_frame_round_trips_through_csv(tmp_path: Path) -> None:
    target = gokart.make_target(str(tmp_path / "x.csv"))
    target.dump(pd.DataFrame())
    loaded = target.load()
    assert isinstance(loaded, pd.DataFrame)
    assert loaded.empty


def test_csv_on_memory_filesystem_with_encoding(memory_workspace: str) -> None:
    frame = pd.DataFrame({"名前": ["山田"]})
    target = gokart.make_target(f"{memory_workspace}/x.csv", format_options={"encoding": "cp932"})
    target.dump(frame)
    pd.testing.assert_frame_equal(target.load(), frame)


# --- json / ndjson ---------------------------------------------------------------------------


def test_json_of_a_dict_becomes_a_frame(tmp_path: Path) -> None:
    target = gokart.make_target(str(tmp_path / "x.json"))
    target.dump({"a": [1, 2], "b": ["x", "y"]})
    pd.testing.assert_frame_equal(target.load(), pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}))


def test_json_is_pandas_default_orient(tmp_path: Path) -> None:
    target = gokart.make_target(str(tmp_path / "x.json"))
    target.dump(pd.DataFrame({"a": [1, 2]}))
    assert json.loads((tmp_path / "x.json").read_text()) == {"a": {"0": 1, "1": 2}}


def test_json_orient_option(tmp_path: Path) -> None:
    target = gokart.make_target(str(tmp_path / "x.json"), format_options={"orient": "records"})
    target.dump(pd.DataFrame({"a": [1, 2]}))
    assert json.loads((tmp_path / "x.json").read_text()) == [{"a": 1}, {"a": 2}]
    pd.testing.assert_frame_equal(target.load(), pd.DataFrame({"a": [1, 2]}))


def test_ndjson_is_one_record_a_line(tmp_path: Path) -> None:
    target = gokart.make_target(str(tmp_path / "x.ndjson"))
    target.dump({"a": [1, 2], "b": ["x", "y"]})
    lines = (tmp_path / "x.ndjson").read_text().splitlines()
    assert [json.loads(line) for line in lines] == [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]


def test_empty_ndjson_file_is_an_empty_frame(tmp_path: Path) -> None:
    (tmp_path / "x.ndjson").write_bytes(b"")
    loaded = gokart.make_target(str(tmp_path / "x.ndjson")).load()
    assert isinstance(loaded, pd.DataFrame)
    assert loaded.empty


# --- parquet ---------------------------------------------------------------------------------


def _parquet_codecs(path: Path) -> set[str]:
    meta = pyarrow.parquet.ParquetFile(path).metadata
    return {
        meta.row_group(g).column(c).compression
        for g in range(meta.num_row_groups)
        for c in range(meta.num_columns)
    }


def test_parquet_uses_pandas_default_compression_not_gzip(tmp_path: Path) -> None:
    gokart.make_target(str(tmp_path / "x.parquet")).dump(_frame())
    codecs = _parquet_codecs(tmp_path / "x.parquet")
    assert "GZIP" not in codecs
    assert codecs == {"SNAPPY"}  # pandas' default


def test_parquet_compression_option(tmp_path: Path) -> None:
    target = gokart.make_target(str(tmp_path / "x.parquet"), format_options={"compression": "gzip"})
    target.dump(_frame())
    assert _parquet_codecs(tmp_path / "x.parquet") == {"GZIP"}
    pd.testing.assert_frame_equal(target.load(), _frame())


def test_parquet_drops_the_index(tmp_path: Path) -> None:
    target = gokart.make_target(str(tmp_path / "x.parquet"))
    target.dump(pd.DataFrame({"a": [1, 2]}, index=pd.Index([5, 6], name="k")))
    assert pyarrow.parquet.read_table(tmp_path / "x.parquet").column_names == ["a"]
    pd.testing.assert_frame_equal(target.load(), pd.DataFrame({"a": [1, 2]}))


@pytest.mark.parametrize("ext", [".parquet", ".feather"])
def test_non_string_column_names_are_refused_before_writing(tmp_path: Path, ext: str) -> None:
    target = gokart.make_target(str(tmp_path / f"x{ext}"))
    with pytest.raises(TypeError, match="string column names"):
        target.dump(pd.DataFrame({0: [1], "b": [2]}))
    assert list(tmp_path.iterdir()) == []


# --- feather ---------------------------------------------------------------------------------


def test_feather_restores_a_named_index(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1, 2, 3]}, index=pd.Index(["x", "y", "z"], name="key"))
    target = gokart.make_target(str(tmp_path / "x.feather"))
    target.dump(frame)
    columns = pyarrow.feather.read_table(tmp_path / "x.feather").column_names
    assert columns == ["a", f"{INDEX_PREFIX}key"]
    pd.testing.assert_frame_equal(target.load(), frame)


def test_feather_restores_an_unnamed_index(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1, 2, 3]}, index=[30, 10, 20])
    target = gokart.make_target(str(tmp_path / "x.feather"))
    target.dump(frame)
    columns = pyarrow.feather.read_table(tmp_path / "x.feather").column_names
    assert columns == ["a", f"{INDEX_PREFIX}None"]
    loaded = target.load()
    pd.testing.assert_frame_equal(loaded, frame)
    assert loaded.index.name is None


def test_feather_restores_a_datetime_index_with_its_timezone(tmp_path: Path) -> None:
    index = pd.date_range("2024-01-01", periods=3, freq="D", tz="Asia/Tokyo", name="day")
    frame = pd.DataFrame({"a": [1, 2, 3]}, index=index)
    target = gokart.make_target(str(tmp_path / "x.feather"))
    target.dump(frame)
    pd.testing.assert_frame_equal(target.load(), frame, check_freq=False)


def test_feather_does_not_touch_the_dumped_frame(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1, 2]}, index=pd.Index([5, 6], name="k"))
    before = frame.copy()
    gokart.make_target(str(tmp_path / "x.feather")).dump(frame)
    pd.testing.assert_frame_equal(frame, before)


def test_feather_default_range_index_needs_no_column(tmp_path: Path) -> None:
    target = gokart.make_target(str(tmp_path / "x.feather"))
    target.dump(_frame())
    assert pyarrow.feather.read_table(tmp_path / "x.feather").column_names == list(_frame())
    pd.testing.assert_frame_equal(target.load(), _frame())


def test_feather_without_storing_the_index(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1, 2]}, index=pd.Index([5, 6], name="k"))
    options = {"store_index_in_feather": False}
    target = gokart.make_target(str(tmp_path / "x.feather"), format_options=options)
    target.dump(frame)
    columns = pyarrow.feather.read_table(tmp_path / "x.feather").column_names
    assert not any(c.startswith(INDEX_PREFIX) for c in columns)


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"a": [1]}, index=pd.Index([3], name="None")),
        pd.DataFrame({"a": [1], f"{INDEX_PREFIX}k": [2]}, index=pd.Index([3], name="k")),
        pd.DataFrame({"a": [1, 2]}, index=pd.MultiIndex.from_tuples([(1, 2), (3, 4)])),
    ],
    ids=["index-named-None", "column-clash", "multiindex"],
)
def test_feather_index_that_cannot_be_stored_is_a_dump_error(
    tmp_path: Path, frame: pd.DataFrame
) -> None:
    target = gokart.make_target(str(tmp_path / "x.feather"))
    with pytest.raises(gokart.DumpError, match="nothing was written"):
        target.dump(frame)
    assert list(tmp_path.iterdir()) == []


# --- options, errors, laziness ---------------------------------------------------------------


def test_unknown_option_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="'sepp'.*encoding, sep"):
        gokart.make_target(str(tmp_path / "x.csv"), format_options={"sepp": ";"})


@pytest.mark.parametrize(
    ("ext", "obj"),
    [(".csv", {"a": [1]}), (".parquet", [1, 2]), (".feather", {"a": [1]}), (".json", [1])],
)
def test_unsupported_object_names_the_accepted_types(tmp_path: Path, ext: str, obj: Any) -> None:
    target = gokart.make_target(str(tmp_path / f"x{ext}"))
    with pytest.raises(TypeError) as info:
        target.dump(obj)
    message = str(info.value)
    assert target.path() in message
    assert target.format.name in message
    assert target.format.accepted in message
    assert list(tmp_path.iterdir()) == []


def test_importing_the_plugin_does_not_import_pandas() -> None:
    code = "import sys, gokart_pandas; print('pandas' in sys.modules, 'pyarrow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.split() == ["False", "False"]
