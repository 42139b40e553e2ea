"""The ``large-data-frame`` format: a zip of pickled chunks that load back in row order.

gokart's layout, ``data_0.pkl``, ``data_1.pkl``, ... in a zip, so either reads the other's
archives. Unlike gokart, chunks load in their numeric order (gokart globbed them in arbitrary
order), a frame is never split into more chunks than it has rows (gokart failed then), and a
chunk holds at most ``max_byte`` bytes of values (as pandas counts them in memory, strings
included) unless a single row is larger. An empty frame is one chunk, so its columns and
dtypes survive.
"""

from __future__ import annotations

import itertools
import os
import re
import sys
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from gokart_zip._model import ModelZipFormat

DEFAULT_MAX_BYTE = 2**26
_CHUNK_NAME = re.compile(r"data_(\d+)\.pkl")


def row_sizes(df: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Bytes of each row's values in memory: the item size of fixed-width columns, the size of
    each object for the others."""
    sizes = np.zeros(len(df), dtype=np.int64)
    for _, column in df.items():
        dtype = column.dtype
        if isinstance(dtype, np.dtype) and dtype != np.dtype(object):
            sizes += dtype.itemsize
        else:
            sizes += np.fromiter(
                (sys.getsizeof(v) for v in column.to_numpy(dtype=object)),
                dtype=np.int64,
                count=len(column),
            )
    return sizes


def chunk_bounds(sizes: np.ndarray[Any, np.dtype[np.int64]], max_byte: int) -> list[int]:
    """Row offsets ``[0, ..., len(sizes)]`` splitting the rows, in order, into chunks of at most
    ``max_byte`` bytes each (one row per chunk where a row alone is larger)."""
    cumulative = np.cumsum(sizes)
    bounds = [0]
    n = len(sizes)
    while bounds[-1] < n:
        start = bounds[-1]
        before = int(cumulative[start - 1]) if start else 0
        end = int(np.searchsorted(cumulative, before + max_byte, side="right"))
        bounds.append(max(end, start + 1))
    return bounds


class LargeDataFrameProcessor:
    """Saves a DataFrame as ordered chunks beside ``path`` and loads them back."""

    def __init__(self, max_byte: int = DEFAULT_MAX_BYTE) -> None:
        if int(max_byte) <= 0:
            raise ValueError(f"max_byte must be positive, not {max_byte!r}")
        self.max_byte = int(max_byte)

    def save(self, df: pd.DataFrame, path: str) -> None:
        folder = os.path.dirname(path)
        if df.empty and len(df.index) == 0:
            df.to_pickle(os.path.join(folder, "data_0.pkl"))
            return
        bounds = chunk_bounds(row_sizes(df), self.max_byte)
        for i, (start, end) in enumerate(itertools.pairwise(bounds)):
            df.iloc[start:end].to_pickle(os.path.join(folder, f"data_{i}.pkl"))

    @staticmethod
    def load(path: str) -> pd.DataFrame:
        folder = os.path.dirname(path)
        found = {}
        for name in os.listdir(folder):
            match = _CHUNK_NAME.fullmatch(name)
            if match:
                found[int(match.group(1))] = name
        if not found:
            raise ValueError("the archive holds no chunk data_0.pkl, data_1.pkl, ...")
        missing = sorted(set(range(max(found) + 1)) - set(found))
        if missing:
            raise ValueError(f"the archive lacks the chunks {[f'data_{i}.pkl' for i in missing]}")
        frames = [pd.read_pickle(os.path.join(folder, found[i])) for i in sorted(found)]
        if len(frames) == 1:
            frame: pd.DataFrame = frames[0]
            return frame
        joined: pd.DataFrame = pd.concat(frames)
        return joined


class LargeDataFrameFormat(ModelZipFormat):
    """Options: ``max_byte`` (default 2**26), ``local_temporary_directory``, ``limits``."""

    name: ClassVar[str] = "large-data-frame"
    accepted: ClassVar[str] = "pandas DataFrames"

    def __init__(self, **options: Any) -> None:
        processor = LargeDataFrameProcessor(options.pop("max_byte", DEFAULT_MAX_BYTE))
        options.setdefault("save_function", processor.save)
        options.setdefault("load_function", processor.load)
        super().__init__(**options)
        self.max_byte = processor.max_byte

    def accepts(self, obj: Any) -> bool:
        return isinstance(obj, pd.DataFrame)
