"""gokart docs, *Polars Support* (polars.rst).

Differs on purpose (docs/migrating.md, *dataframe_type*): gokart-core's formats load a polars
frame for a task that declares one (``TaskOnKart[pl.DataFrame]``), so the processors take
``dataframe_type='pandas'`` (the default) only, and ``dataframe_type='polars'`` is refused with
that advice. The tests assert this, for each processor the page lists, and run the page's
examples in gokart-core's form: the same processors without ``dataframe_type``, on tasks that
declare polars.

Covered: a polars task dumping through ``FeatherFileProcessor(store_index_in_feather=False)``
and loading a polars frame; the processors' ``dataframe_type='pandas'`` default (the same as
leaving it out); pandas and polars together (a pandas task, a polars task that loads it,
converts it with ``pl.from_pandas`` and dumps ``a_doubled``); files written by polars read by
pandas and the other way round, in csv, ndjson, parquet and feather.
Not covered: the ``ImportError`` without polars installed (polars is a test dependency).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pytest

import gokart_core as gokart
import gokart_pandas
import gokart_pickle
from gokart_core.file_processor import (
    CsvFileProcessor,
    FeatherFileProcessor,
    FileProcessor,
    JsonFileProcessor,
    ParquetFileProcessor,
)
from gokart_core.plugin.manager import use_plugin_manager
from gokart_core.testing import builtins_only_plugin_manager


@pytest.fixture(autouse=True)
def pandas_formats(tmp_path: Path, set_config: Any) -> Iterator[None]:
    set_config("TaskOnKart", "workspace_directory", str(tmp_path / "resources"))
    with use_plugin_manager(builtins_only_plugin_manager(gokart_pickle, gokart_pandas)):
        yield


PROCESSORS: dict[str, Any] = {
    "csv": lambda t: CsvFileProcessor(sep=",", encoding="utf-8", dataframe_type=t),
    "json": lambda t: JsonFileProcessor(orient="records", dataframe_type=t),
    "parquet": lambda t: ParquetFileProcessor(compression="gzip", dataframe_type=t),
    "feather": lambda t: FeatherFileProcessor(store_index_in_feather=False, dataframe_type=t),
}


@pytest.mark.parametrize("name", list(PROCESSORS))
def test_dataframe_type_polars_is_refused_with_the_advice(name: str) -> None:
    with pytest.raises(ValueError, match=r"TaskOnKart\[pl\.DataFrame\]"):
        PROCESSORS[name]("polars")


@pytest.mark.parametrize("name", list(PROCESSORS))
def test_pandas_is_the_default(name: str) -> None:
    explicit: FileProcessor = PROCESSORS[name]("pandas")
    assert isinstance(explicit, FileProcessor)
    assert vars(CsvFileProcessor(sep=",")) == vars(
        CsvFileProcessor(sep=",", dataframe_type="pandas")
    )


class DocsPolarsMyPolarsTask(gokart.TaskOnKart[pl.DataFrame]):
    def output(self) -> Any:
        processor = FeatherFileProcessor(store_index_in_feather=False)
        return self.make_target("path/to/target.feather", processor=processor)

    def run(self) -> None:
        self.dump(pl.DataFrame({"a": [1, 2, 3], "b": [4, 5, 6]}))


def test_a_polars_task(tmp_path: Path) -> None:
    task = DocsPolarsMyPolarsTask()
    loaded = gokart.build(task)
    assert isinstance(loaded, pl.DataFrame)
    assert loaded.to_dict(as_series=False) == {"a": [1, 2, 3], "b": [4, 5, 6]}
    path = tmp_path / "resources" / "path" / "to" / f"target_{task.make_unique_id()}.feather"
    assert task.output().path() == str(path)
    assert pd.read_feather(path).to_dict("list") == {"a": [1, 2, 3], "b": [4, 5, 6]}


class DocsPolarsPandasTask(gokart.TaskOnKart[pd.DataFrame]):
    def output(self) -> Any:
        processor = FeatherFileProcessor(store_index_in_feather=False, dataframe_type="pandas")
        return self.make_target("path/to/pandas_output.feather", processor=processor)

    def run(self) -> None:
        self.dump(pd.DataFrame({"a": [1, 2, 3], "b": [4, 5, 6]}))


class DocsPolarsPolarsTask(gokart.TaskOnKart[pl.DataFrame]):
    def requires(self) -> Any:
        return DocsPolarsPandasTask()

    def output(self) -> Any:
        processor = FeatherFileProcessor(store_index_in_feather=False)
        return self.make_target("path/to/polars_output.feather", processor=processor)

    def run(self) -> None:
        pandas_df = self.load()  # the pandas task's output: a pandas DataFrame
        assert isinstance(pandas_df, pd.DataFrame)
        polars_df = pl.from_pandas(pandas_df)
        self.dump(polars_df.with_columns((pl.col("a") * 2).alias("a_doubled")))


def test_pandas_and_polars_together() -> None:
    result = gokart.build(DocsPolarsPolarsTask())
    assert isinstance(result, pl.DataFrame)
    assert result.to_dict(as_series=False) == {
        "a": [1, 2, 3],
        "b": [4, 5, 6],
        "a_doubled": [2, 4, 6],
    }
    assert isinstance(gokart.build(DocsPolarsPandasTask()), pd.DataFrame)


POLARS_READERS: dict[str, Any] = {
    "csv": pl.read_csv,
    "json": pl.read_ndjson,
    "parquet": pl.read_parquet,
    "feather": pl.read_ipc,
}

FILES = {
    "csv": CsvFileProcessor(sep=","),
    "json": JsonFileProcessor(orient="records"),
    "parquet": ParquetFileProcessor(compression="gzip"),
    "feather": FeatherFileProcessor(store_index_in_feather=False),
}


@pytest.mark.parametrize("name", list(FILES))
def test_files_are_library_agnostic(tmp_path: Path, name: str) -> None:
    frame = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    by_polars = gokart.make_target(
        str(tmp_path / f"polars.{name}"),
        format=FILES[name].format_name,
        format_options=FILES[name].format_options,
    )
    by_polars.dump(pl.from_pandas(frame))
    by_pandas = gokart.make_target(
        str(tmp_path / f"pandas.{name}"),
        format=FILES[name].format_name,
        format_options=FILES[name].format_options,
    )
    by_pandas.dump(frame)
    for target in (by_polars, by_pandas):
        loaded = target.load()  # undeclared: pandas
        assert isinstance(loaded, pd.DataFrame)
        assert loaded.to_dict("list") == frame.to_dict("list")
    # and polars reads what pandas wrote
    read = POLARS_READERS[name](by_pandas.path())
    assert read.to_dict(as_series=False) == frame.to_dict("list")
