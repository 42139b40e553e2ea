"""polars frames in the csv, tsv, parquet, feather and ndjson formats.

Imported by :mod:`gokart_pandas._formats` only when a polars frame is dumped or a task declares a
polars output type (``TaskOnKart[pl.DataFrame]``), so the plugin never imports polars otherwise.
Frames are written and read with polars' own writers and readers, never through pandas, and the
files are the same ones pandas writes and reads:

- a ``LazyFrame`` is streamed to a local file with polars' ``sink_*``; anywhere else (and when
  polars cannot stream the query) it is collected first and written like a ``DataFrame``;
- a target whose task declares ``pl.LazyFrame`` loads eagerly and returns ``frame.lazy()``: the
  result never depends on the file staying where it is;
- csv: no index either way; any ``encoding`` (polars writes utf-8, other encodings are encoded
  afterwards); a file that is not in the encoding is an error, as in pandas; the column types
  come from the first 100 rows, or from all of them when a later row does not fit; an empty file
  loads as an empty frame;
- parquet: polars' default codec (zstd) unless the option ``compression`` names another;
- feather: written at polars' oldest compatibility level (plain arrow strings, which every
  pyarrow and so pandas and gokart read). polars has no index, so a polars frame is written
  without gokart's index column (pandas loads it with a RangeIndex). Loading a file that pandas or
  gokart wrote: an unnamed default 0..n-1 index column (``__feather_gokart_index__None``, which
  gokart writes for every frame) carries nothing and is dropped; any other index column is kept
  as a column under its stored name, so no data is lost and the frame dumped back to feather
  loads in pandas with its index again;
- ndjson: the schema is inferred from every line (polars would otherwise drop keys that first
  appear late); an empty file loads as an empty frame.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Mapping
from typing import IO, Any, TypeAlias

# Checked against polars' own annotations where polars is installed (the `polars` extra); the
# ignore lets a type check without polars pass too.
import polars as pl  # type: ignore[import-not-found, unused-ignore]

#: gokart's prefix of the column that holds the index in a feather file (as in ``_formats``).
FEATHER_INDEX_COLUMN_PREFIX = "__feather_gokart_index__"
#: The column gokart writes for an unnamed index.
_UNNAMED_INDEX_COLUMN = f"{FEATHER_INDEX_COLUMN_PREFIX}None"

PolarsFrame: TypeAlias = "pl.DataFrame | pl.LazyFrame"
Writer = Callable[[pl.DataFrame, str | IO[bytes]], None]
Sinker = Callable[[pl.LazyFrame, IO[bytes]], None]


def is_frame(obj: Any) -> bool:
    return isinstance(obj, (pl.DataFrame, pl.LazyFrame))


def as_declared(frame: pl.DataFrame, declared_type: Any) -> PolarsFrame:
    """``frame``, or ``frame.lazy()`` when the task declared a LazyFrame."""
    if isinstance(declared_type, type) and issubclass(declared_type, pl.LazyFrame):
        return frame.lazy()
    return frame


def _dump(
    obj: PolarsFrame, fp: IO[bytes], path: str | None, write: Writer, sink: Sinker | None
) -> None:
    """Stream a LazyFrame into a local file, or collect it; write a DataFrame."""
    if isinstance(obj, pl.LazyFrame):
        if path is not None and sink is not None:
            # Into the open file, never by path: after a failed query polars' writer threads
            # may still create the path once the error has reached us, which would leave a
            # file behind that nothing removes. The open file is the atomic writer's own.
            try:
                sink(obj, fp)
                return
            except pl.exceptions.InvalidOperationError:
                # The streaming engine cannot run every query ("not yet supported"), and a
                # strict cast that fails says the same: collect, which runs the query anew
                # and raises its real error, or writes the frame over what the sink began.
                fp.seek(0)
                fp.truncate()
        obj = obj.collect()
    write(obj, path if path is not None else fp)


# --- csv / tsv -------------------------------------------------------------------------------


def _is_utf8(encoding: str) -> bool:
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


def dump_csv(obj: PolarsFrame, fp: IO[bytes], path: str | None, *, sep: str, encoding: str) -> None:
    if not _is_utf8(encoding):
        # polars writes utf-8 only: encode its text (a utf-8-sig BOM is not utf-8 either).
        frame = obj.collect() if isinstance(obj, pl.LazyFrame) else obj
        fp.write(frame.write_csv(separator=sep).encode(encoding))
        return
    _dump(
        obj,
        fp,
        path,
        lambda frame, target: frame.write_csv(target, separator=sep),
        lambda lazy, target: lazy.sink_csv(target, separator=sep),
    )


def load_csv(source: str | IO[bytes], *, sep: str, encoding: str) -> pl.DataFrame:
    polars_encoding = "utf8" if _is_utf8(encoding) else encoding
    data: str | bytes = source if isinstance(source, str) else source.read()

    def read(infer_schema_length: int | None) -> pl.DataFrame:
        return pl.read_csv(
            data,
            separator=sep,
            encoding=polars_encoding,
            raise_if_empty=False,
            infer_schema_length=infer_schema_length,
        )

    try:
        # polars infers the column types from the first rows (fast) ...
        frame = read(100)
    except pl.exceptions.ComputeError:
        # ... and fails when a later row does not parse (an int column with "x" at row 500):
        # then the types come from every row, as pandas does.
        frame = read(None)
    if polars_encoding == "utf8" and any("\ufffd" in name for name in frame.columns):
        _check_utf8_header(data)
    return frame


def _check_utf8_header(data: str | bytes) -> None:
    """polars decodes the header leniently (invalid utf-8 becomes U+FFFD); pandas refuses it."""
    if isinstance(data, str):
        with open(data, "rb") as f:
            header = f.readline()
    else:
        header = data.split(b"\n", 1)[0]
    header.decode("utf-8")  # UnicodeDecodeError: the file is not utf-8


# --- parquet ---------------------------------------------------------------------------------


def dump_parquet(
    obj: PolarsFrame, fp: IO[bytes], path: str | None, options: Mapping[str, Any]
) -> None:
    kwargs: dict[str, Any] = {}
    if "compression" in options:
        # pandas' None means no compression; polars calls it "uncompressed".
        kwargs["compression"] = options["compression"] or "uncompressed"
    _dump(
        obj,
        fp,
        path,
        lambda frame, target: frame.write_parquet(target, **kwargs),
        lambda lazy, target: lazy.sink_parquet(target, **kwargs),
    )


def load_parquet(source: str | IO[bytes]) -> pl.DataFrame:
    return pl.read_parquet(source)


# --- feather (arrow ipc) ---------------------------------------------------------------------


def dump_feather(obj: PolarsFrame, fp: IO[bytes], path: str | None) -> None:
    compat_level = pl.CompatLevel.oldest()
    _dump(
        obj,
        fp,
        path,
        lambda frame, target: frame.write_ipc(target, compat_level=compat_level),
        lambda lazy, target: lazy.sink_ipc(target, compat_level=compat_level),
    )


def load_feather(fp: IO[bytes], *, store_index: bool) -> pl.DataFrame:
    # From the open file, not by path: polars would memory-map a path, keeping the file busy.
    frame = pl.read_ipc(fp)
    if store_index:
        index_columns = [c for c in frame.columns if c.startswith(FEATHER_INDEX_COLUMN_PREFIX)]
        # gokart restores the index from the last such column.
        if (
            index_columns
            and index_columns[-1] == _UNNAMED_INDEX_COLUMN
            and _is_default_index(frame.get_column(_UNNAMED_INDEX_COLUMN))
        ):
            frame = frame.drop(_UNNAMED_INDEX_COLUMN)
    return frame


def _is_default_index(values: pl.Series) -> bool:
    """0, 1, ..., n-1: what pandas gives a frame without an index, so nothing to keep."""
    if not values.dtype.is_integer() or values.null_count():
        return False
    return bool((values == pl.int_range(0, len(values), eager=True)).all())


# --- ndjson ----------------------------------------------------------------------------------


def dump_ndjson(obj: PolarsFrame, fp: IO[bytes], path: str | None) -> None:
    _dump(
        obj,
        fp,
        path,
        lambda frame, target: frame.write_ndjson(target),
        lambda lazy, target: lazy.sink_ndjson(target),
    )


def load_ndjson(fp: IO[bytes]) -> pl.DataFrame:
    data = fp.read()
    if not data.strip():
        return pl.DataFrame()
    return pl.read_ndjson(data, infer_schema_length=None)
