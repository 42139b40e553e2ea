"""gokart's ``gokart.file_processor``: processors as ``make_target(..., processor=...)`` takes
them, as thin names for the formats the plugins register. A processor is a format's name and
its options; reading and writing are the format's (there is no second format system).

``CsvFileProcessor(sep="\\t", encoding="cp932")`` is format ``csv`` with those options, and so
on; :func:`make_file_processor` picks one by extension as gokart does. A processor whose
format's plugin is not installed fails when its target is made, naming the plugin.

``dataframe_type`` (gokart's polars switch) is not an option of gokart-core's formats: they
load a polars frame when the task declares one (``TaskOnKart[pl.DataFrame]``); any other value
than ``"pandas"`` is refused here, with that advice.
"""

from __future__ import annotations

import os
from typing import Any, Literal

DataFrameType = Literal["pandas", "polars", "polars-lazy"]


class FileProcessor:
    """A format of gokart-core, by name, with options (``make_target(..., processor=p)``)."""

    #: The registered format's name.
    format_name: str = "pickle"

    def __init__(self, **options: Any) -> None:
        #: What the format is given as ``format_options``; None values are left out (defaults).
        self.format_options: dict[str, Any] = {k: v for k, v in options.items() if v is not None}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(format={self.format_name!r}, {self.format_options!r})"


def _pandas_only(processor: str, dataframe_type: str) -> None:
    if dataframe_type != "pandas":
        raise ValueError(
            f"{processor}(dataframe_type={dataframe_type!r}): gokart-core's formats load polars "
            "frames for tasks that declare them (TaskOnKart[pl.DataFrame]); leave "
            "dataframe_type at 'pandas'"
        )


class BinaryFileProcessor(FileProcessor):
    format_name = "binary"


class PickleFileProcessor(FileProcessor):
    format_name = "pickle"


class TextFileProcessor(FileProcessor):
    format_name = "text"


class GzipFileProcessor(FileProcessor):
    format_name = "gz"


class XmlFileProcessor(FileProcessor):
    format_name = "xml"


class NpzFileProcessor(FileProcessor):
    format_name = "npz"


class CsvFileProcessor(FileProcessor):
    format_name = "csv"

    def __init__(
        self, sep: str = ",", encoding: str = "utf-8", dataframe_type: DataFrameType = "pandas"
    ) -> None:
        _pandas_only(type(self).__name__, dataframe_type)
        super().__init__(sep=sep, encoding=encoding)


class JsonFileProcessor(FileProcessor):
    format_name = "json"

    def __init__(self, orient: str | None = None, dataframe_type: DataFrameType = "pandas") -> None:
        """``orient="records"`` is gokart's JSON lines: format ``ndjson``."""
        _pandas_only(type(self).__name__, dataframe_type)
        if orient == "records":
            self.format_name = "ndjson"
            super().__init__()
        else:
            super().__init__(orient=orient)


class ParquetFileProcessor(FileProcessor):
    format_name = "parquet"

    def __init__(
        self,
        engine: str = "pyarrow",
        compression: str | None = None,
        dataframe_type: DataFrameType = "pandas",
    ) -> None:
        _pandas_only(type(self).__name__, dataframe_type)
        if engine not in ("pyarrow", "auto"):
            raise ValueError(
                f"ParquetFileProcessor(engine={engine!r}): gokart-pandas writes parquet with "
                "pyarrow only"
            )
        super().__init__(compression=compression)


class FeatherFileProcessor(FileProcessor):
    format_name = "feather"

    def __init__(
        self, store_index_in_feather: bool = True, dataframe_type: DataFrameType = "pandas"
    ) -> None:
        _pandas_only(type(self).__name__, dataframe_type)
        super().__init__(store_index_in_feather=store_index_in_feather)


def make_file_processor(
    file_path: str, store_index_in_feather: bool = True, *, dataframe_type: DataFrameType = "pandas"
) -> FileProcessor:
    """The processor gokart picks for ``file_path``'s extension; ValueError for another."""
    extension = os.path.splitext(file_path)[1]
    by_extension: dict[str, FileProcessor] = {
        ".txt": TextFileProcessor(),
        ".ini": TextFileProcessor(),
        ".csv": CsvFileProcessor(sep=",", dataframe_type=dataframe_type),
        ".tsv": CsvFileProcessor(sep="\t", dataframe_type=dataframe_type),
        ".pkl": PickleFileProcessor(),
        ".gz": GzipFileProcessor(),
        ".json": JsonFileProcessor(dataframe_type=dataframe_type),
        ".ndjson": JsonFileProcessor(orient="records", dataframe_type=dataframe_type),
        ".xml": XmlFileProcessor(),
        ".npz": NpzFileProcessor(),
        ".parquet": ParquetFileProcessor(compression="gzip", dataframe_type=dataframe_type),
        ".feather": FeatherFileProcessor(store_index_in_feather, dataframe_type=dataframe_type),
        ".png": BinaryFileProcessor(),
        ".jpg": BinaryFileProcessor(),
    }
    if extension not in by_extension:
        raise ValueError(
            f"{file_path!r}: extension {extension!r} has no processor; "
            f"these do: {', '.join(by_extension)}"
        )
    return by_extension[extension]


__all__ = [
    "BinaryFileProcessor",
    "CsvFileProcessor",
    "DataFrameType",
    "FeatherFileProcessor",
    "FileProcessor",
    "GzipFileProcessor",
    "JsonFileProcessor",
    "NpzFileProcessor",
    "ParquetFileProcessor",
    "PickleFileProcessor",
    "TextFileProcessor",
    "XmlFileProcessor",
    "make_file_processor",
]
