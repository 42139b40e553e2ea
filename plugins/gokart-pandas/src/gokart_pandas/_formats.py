"""pandas formats, reading and writing the same files as gokart 1.12.

Every format here is binary: pandas gets the binary file object the target opened (with the
``encoding`` for text formats), so no Python text layer sits between pandas and the file.

- ``csv`` / ``tsv``: ``to_csv(index=False)`` / ``read_csv``; options ``encoding`` (utf-8) and
  ``sep``. A Series is accepted; an empty file loads as an empty DataFrame.
- ``json``: ``to_json`` / ``read_json`` (option ``orient``); a dict becomes a DataFrame.
- ``ndjson``: one record a line (``orient="records", lines=True``).
- ``parquet``: pyarrow, without the index, pandas' default compression unless the option
  ``compression`` names another codec.
- ``feather``: the index is stored in a column named ``__feather_gokart_index__{name}`` (as gokart
  does) and restored on load; option ``store_index_in_feather`` (True).

polars (optional, ``gokart-pandas[polars]``): every format but ``json`` also takes a polars
``DataFrame`` or ``LazyFrame``, written by polars itself, and loads as polars when the task that
made the target declares it (``TaskOnKart[pl.DataFrame]`` or ``[pl.LazyFrame]``), else as pandas.
The files are the same either way (:mod:`gokart_pandas._polars`, imported only for polars).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import IO, Any, ClassVar

import pandas as pd

from gokart_core.plugin_api import Format, FormatContext

#: gokart's prefix of the column that holds the index in a feather file.
FEATHER_INDEX_COLUMN_PREFIX = "__feather_gokart_index__"


class _PandasFormat(Format):
    """Binary formats with a fixed set of options; an unknown option is an error, not ignored."""

    binary: ClassVar[bool] = True
    #: The options this format understands.
    option_names: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, **options: Any) -> None:
        unknown = sorted(set(options) - self.option_names)
        if unknown:
            known = ", ".join(sorted(self.option_names)) or "none"
            raise TypeError(
                f"format {self.name!r} has no option {', '.join(map(repr, unknown))}; "
                f"its options: {known}"
            )
        super().__init__(**options)


def _is_polars_frame(obj: Any) -> bool:
    """A polars DataFrame or LazyFrame, found without importing polars."""
    if "polars" not in sys.modules or not type(obj).__module__.startswith("polars"):
        return False
    from gokart_pandas import _polars

    return _polars.is_frame(obj)


def _declares_polars(declared_type: Any) -> bool:
    """Whether the task that made the target declared a polars output type."""
    return str(getattr(declared_type, "__module__", None) or "").startswith("polars")


#: Added to ``accepted`` of the formats that take polars frames.
_POLARS_ACCEPTED = "polars.DataFrame or polars.LazyFrame"


def _empty_frame() -> pd.DataFrame:
    """What an empty csv file loads as (gokart's answer to pandas' EmptyDataError)."""
    frame: pd.DataFrame = pd.DataFrame()
    return frame


def _has_string_column_names(frame: pd.DataFrame) -> bool:
    """parquet and feather store only string column names (pandas would stringify the others)."""
    columns = frame.columns
    if isinstance(columns, pd.MultiIndex):
        return all(isinstance(name, str) for level in columns.levels for name in level)
    return all(isinstance(name, str) for name in columns)


class CsvFormat(_PandasFormat):
    name: ClassVar[str] = "csv"
    accepted: ClassVar[str] = f"pandas.DataFrame, pandas.Series, {_POLARS_ACCEPTED}"
    option_names: ClassVar[frozenset[str]] = frozenset({"encoding", "sep"})
    default_sep: ClassVar[str] = ","

    @property
    def sep(self) -> str:
        return str(self.options.get("sep", self.default_sep))

    def accepts(self, obj: Any) -> bool:
        return isinstance(obj, (pd.DataFrame, pd.Series)) or _is_polars_frame(obj)

    def dump(self, obj: Any, fp: IO[bytes], context: FormatContext) -> None:
        if _is_polars_frame(obj):
            from gokart_pandas import _polars

            path = context.local_path
            _polars.dump_csv(obj, fp, path, sep=self.sep, encoding=self.encoding)
            return
        obj.to_csv(fp, index=False, sep=self.sep, header=True, encoding=self.encoding)

    def load(self, fp: IO[bytes], context: FormatContext) -> Any:
        source = context.local_path or fp  # a path reads in parallel
        if _declares_polars(context.declared_type):
            from gokart_pandas import _polars

            loaded = _polars.load_csv(source, sep=self.sep, encoding=self.encoding)
            return _polars.as_declared(loaded, context.declared_type)
        try:
            frame: pd.DataFrame = pd.read_csv(source, sep=self.sep, encoding=self.encoding)
        except pd.errors.EmptyDataError:
            return _empty_frame()
        return frame


class TsvFormat(CsvFormat):
    name: ClassVar[str] = "tsv"
    default_sep: ClassVar[str] = "\t"


class JsonFormat(_PandasFormat):
    name: ClassVar[str] = "json"
    accepted: ClassVar[str] = (
        "pandas.DataFrame, pandas.Series or dict (a polars frame: use .ndjson, .csv, .tsv, "
        ".parquet or .feather)"
    )
    option_names: ClassVar[frozenset[str]] = frozenset({"orient"})
    lines: ClassVar[bool] = False

    @property
    def orient(self) -> Any:
        return self.options.get("orient")

    def accepts(self, obj: Any) -> bool:
        return isinstance(obj, (pd.DataFrame, pd.Series, Mapping))

    def dump(
        self,
        obj: pd.DataFrame | pd.Series | Mapping[Any, Any],
        fp: IO[bytes],
        context: FormatContext,
    ) -> None:
        frame = pd.DataFrame.from_dict(dict(obj)) if isinstance(obj, Mapping) else obj
        frame.to_json(fp, orient=self.orient, lines=self.lines)

    def load(self, fp: IO[bytes], context: FormatContext) -> pd.DataFrame:
        try:
            loaded: pd.DataFrame = pd.read_json(fp, orient=self.orient, lines=self.lines)
        except pd.errors.EmptyDataError:
            return _empty_frame()
        return loaded


class NdjsonFormat(JsonFormat):
    name: ClassVar[str] = "ndjson"
    accepted: ClassVar[str] = f"pandas.DataFrame, pandas.Series, dict, {_POLARS_ACCEPTED}"
    option_names: ClassVar[frozenset[str]] = frozenset()
    lines: ClassVar[bool] = True

    def accepts(self, obj: Any) -> bool:
        return super().accepts(obj) or _is_polars_frame(obj)

    def dump(self, obj: Any, fp: IO[bytes], context: FormatContext) -> None:
        if _is_polars_frame(obj):
            from gokart_pandas import _polars

            _polars.dump_ndjson(obj, fp, context.local_path)
            return
        super().dump(obj, fp, context)

    def load(self, fp: IO[bytes], context: FormatContext) -> Any:
        if _declares_polars(context.declared_type):
            from gokart_pandas import _polars

            return _polars.as_declared(_polars.load_ndjson(fp), context.declared_type)
        return super().load(fp, context)

    @property
    def orient(self) -> Any:
        return "records"


class ParquetFormat(_PandasFormat):
    name: ClassVar[str] = "parquet"
    accepted: ClassVar[str] = f"pandas.DataFrame with string column names, {_POLARS_ACCEPTED}"
    option_names: ClassVar[frozenset[str]] = frozenset({"compression"})

    def accepts(self, obj: Any) -> bool:
        if isinstance(obj, pd.DataFrame):
            return _has_string_column_names(obj)
        return _is_polars_frame(obj)

    def dump(self, obj: Any, fp: IO[bytes], context: FormatContext) -> None:
        if _is_polars_frame(obj):
            from gokart_pandas import _polars

            _polars.dump_parquet(obj, fp, context.local_path, self.options)
            return
        # pandas' default codec unless asked otherwise (gokart hard-coded the slow gzip).
        kwargs: dict[str, Any] = {}
        if "compression" in self.options:
            kwargs["compression"] = self.options["compression"]
        # pyarrow writes a path natively, a file object through Python.
        obj.to_parquet(context.local_path or fp, engine="pyarrow", index=False, **kwargs)

    def load(self, fp: IO[bytes], context: FormatContext) -> Any:
        source = context.local_path or fp
        if _declares_polars(context.declared_type):
            from gokart_pandas import _polars

            return _polars.as_declared(_polars.load_parquet(source), context.declared_type)
        frame: pd.DataFrame = pd.read_parquet(source, engine="pyarrow")
        return frame


def _is_default_index(index: pd.Index) -> bool:
    """An unnamed 0..n-1 RangeIndex: what pandas gives a loaded frame anyway."""
    return (
        isinstance(index, pd.RangeIndex)
        and index.name is None
        and index.start == 0
        and index.step == 1
    )


class FeatherFormat(_PandasFormat):
    name: ClassVar[str] = "feather"
    accepted: ClassVar[str] = f"pandas.DataFrame with string column names, {_POLARS_ACCEPTED}"
    option_names: ClassVar[frozenset[str]] = frozenset({"store_index_in_feather"})

    @property
    def store_index(self) -> bool:
        return bool(self.options.get("store_index_in_feather", True))

    def accepts(self, obj: Any) -> bool:
        if isinstance(obj, pd.DataFrame):
            return _has_string_column_names(obj)
        return _is_polars_frame(obj)

    def dump(self, obj: Any, fp: IO[bytes], context: FormatContext) -> None:
        if _is_polars_frame(obj):
            # polars has no index: no index column (pandas loads a RangeIndex).
            from gokart_pandas import _polars

            _polars.dump_feather(obj, fp, context.local_path)
            return
        frame = obj
        # A default RangeIndex needs no column: it is what every reader (gokart too) gives back.
        if self.store_index and not _is_default_index(obj.index):
            frame = self._with_index_column(obj)
        frame.to_feather(context.local_path or fp)

    @staticmethod
    def _with_index_column(obj: pd.DataFrame) -> pd.DataFrame:
        """A shallow frame with the index as its last column (gokart's layout); no data copied."""
        index = obj.index
        if isinstance(index, pd.MultiIndex):
            raise ValueError(
                "feather stores one index column: reset_index() the MultiIndex first, "
                "or pass format_options={'store_index_in_feather': False}"
            )
        if index.name == "None":
            raise ValueError(
                "an index named 'None' cannot be told apart from an unnamed one in a feather "
                "file (gokart's layout); rename the index"
            )
        column = f"{FEATHER_INDEX_COLUMN_PREFIX}{index.name}"
        if column in obj.columns:
            raise ValueError(
                f"the frame already has a column {column!r}, where the index would be stored; "
                "pass format_options={'store_index_in_feather': False}"
            )
        frame: pd.DataFrame = obj.copy(deep=False)  # new column list, same data
        frame[column] = index
        frame.index = pd.RangeIndex(len(frame))
        return frame

    def load(self, fp: IO[bytes], context: FormatContext) -> Any:
        if _declares_polars(context.declared_type):
            from gokart_pandas import _polars

            loaded = _polars.load_feather(fp, store_index=self.store_index)
            return _polars.as_declared(loaded, context.declared_type)
        # A path lets pyarrow read natively, not through Python's file object.
        frame: pd.DataFrame = pd.read_feather(context.local_path or fp)
        if not self.store_index:
            return frame
        # gokart restores from the last column with the prefix.
        for column in reversed(frame.columns):
            if isinstance(column, str) and column.startswith(FEATHER_INDEX_COLUMN_PREFIX):
                name: str | None = column[len(FEATHER_INDEX_COLUMN_PREFIX) :]
                values = frame.pop(column)
                frame.index = pd.Index(values.array, name=None if name == "None" else name)
                break
        return frame
