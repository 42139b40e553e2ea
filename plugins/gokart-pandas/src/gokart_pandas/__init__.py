"""pandas formats for gokart-core: .csv .tsv .json .ndjson .parquet .feather.

The classes live in :mod:`gokart_pandas._formats` and are imported (with pandas and pyarrow) only
when a target of one of these formats is first used.
"""

from __future__ import annotations

from gokart_core.plugin_api import FormatRegistry, hookimpl

#: (format name, class in gokart_pandas._formats, extensions)
FORMATS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("csv", "CsvFormat", (".csv",)),
    ("tsv", "TsvFormat", (".tsv",)),
    ("json", "JsonFormat", (".json",)),
    ("ndjson", "NdjsonFormat", (".ndjson",)),
    ("parquet", "ParquetFormat", (".parquet",)),
    ("feather", "FeatherFormat", (".feather",)),
)


@hookimpl
def gokart_register_formats(registry: FormatRegistry) -> None:
    for name, cls, extensions in FORMATS:
        registry.add(
            name,
            f"gokart_pandas._formats:{cls}",
            extensions=extensions,
            install_hint="gokart-pandas",
        )
