"""gokart's ``file_processor`` and ``gokart.target``, as its documentation uses them: a CSV in
another separator and encoding, ``make_target(file_path, unique_id, processor)``, model targets;
each processor is one of the plugins' formats with options."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import gokart_core as gokart
import gokart_pandas
import gokart_pickle
import gokart_text
import gokart_zip
from gokart_core import file_processor as fp
from gokart_core.plugin.manager import use_plugin_manager
from gokart_core.target import make_model_target, make_target
from gokart_core.testing import builtins_only_plugin_manager


@pytest.fixture(autouse=True)
def with_formats() -> Iterator[None]:
    plugins = builtins_only_plugin_manager(gokart_pickle, gokart_pandas, gokart_text, gokart_zip)
    with use_plugin_manager(plugins):
        yield


FRAME = pd.DataFrame({"name": ["あ", "い"], "n": [1, 2]})


class ShiftJisTsv(gokart.TaskOnKart[pd.DataFrame]):
    def output(self) -> Any:
        return self.make_target(
            "table.csv", processor=fp.CsvFileProcessor(sep="\t", encoding="cp932")
        )

    def run(self) -> None:
        self.dump(FRAME)


def test_a_task_writes_a_csv_with_the_processors_separator_and_encoding(tmp_path: Path) -> None:
    task = ShiftJisTsv(workspace_directory=str(tmp_path))
    pd.testing.assert_frame_equal(gokart.build(task), FRAME)
    raw = Path(task.output().path()).read_bytes()
    assert raw.decode("cp932").splitlines()[0] == "name\tn"


def test_make_target_by_path_unique_id_and_processor(tmp_path: Path) -> None:
    target = make_target(str(tmp_path / "out.csv"), unique_id="abc")
    assert target.path() == str(tmp_path / "out_abc.csv")
    target.dump(FRAME)
    pd.testing.assert_frame_equal(target.load(), FRAME)
    semicolon = make_target(str(tmp_path / "semi.csv"), processor=fp.CsvFileProcessor(sep=";"))
    semicolon.dump(FRAME)
    assert (tmp_path / "semi.csv").read_text().splitlines()[0] == "name;n"
    text = make_target(str(tmp_path / "note.txt"))
    text.dump("hello")
    assert text.load() == ["hello"]  # gokart's text: the lines


def test_make_model_target(tmp_path: Path) -> None:
    def save(obj: Any, path: str) -> None:
        Path(path).write_text(obj)

    target = make_model_target(
        str(tmp_path / "model.zip"),
        temporary_directory=str(tmp_path / "tmp"),
        save_function=save,
        load_function=lambda path: Path(path).read_text(),
        unique_id="u1",
    )
    target.dump("weights")
    assert target.path() == str(tmp_path / "model_u1.zip")
    assert target.load() == "weights"


def test_make_file_processor_as_gokart_picks_them() -> None:
    picks = {
        "a.csv": ("csv", {"sep": ",", "encoding": "utf-8"}),
        "a.tsv": ("csv", {"sep": "\t", "encoding": "utf-8"}),
        "a.ndjson": ("ndjson", {}),
        "a.json": ("json", {}),
        "a.parquet": ("parquet", {"compression": "gzip"}),
        "a.feather": ("feather", {"store_index_in_feather": True}),
        "a.pkl": ("pickle", {}),
        "a.png": ("binary", {}),
    }
    for path, (name, options) in picks.items():
        processor = fp.make_file_processor(path)
        assert (processor.format_name, processor.format_options) == (name, options), path
    assert fp.make_file_processor("a.feather", False).format_options == {
        "store_index_in_feather": False
    }
    with pytest.raises(ValueError, match=r"'\.xyz'"):
        fp.make_file_processor("a.xyz")


def test_what_gokart_core_does_otherwise_is_refused_with_the_way_out() -> None:
    with pytest.raises(ValueError, match=r"TaskOnKart\[pl.DataFrame\]"):
        fp.CsvFileProcessor(dataframe_type="polars")
    with pytest.raises(ValueError, match="pyarrow"):
        fp.ParquetFileProcessor(engine="fastparquet")
    lock = type("TaskLockParams", (), {"should_task_lock": True})()
    with pytest.raises(ValueError, match="redis_host"):
        make_target("x.pkl", task_lock_params=lock)


def test_a_processor_whose_plugin_is_missing_names_the_plugin(tmp_path: Path) -> None:
    with pytest.raises(gokart.UnknownFormatError, match="pip install gokart-numpy"):
        make_target(str(tmp_path / "x.npz"), processor=fp.NpzFileProcessor())
