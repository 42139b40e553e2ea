"""The DataFrame scenario of :mod:`benchmarks.worker`: a frame of 8 mixed columns dumped to a
file and loaded back several times in one process, by raw pandas, gokart-core's
``make_target`` or gokart's, with the wall time of each and the peak RSS over all. The standard
library only at the top: pandas and the implementation are imported inside the functions."""

from __future__ import annotations

import gc
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from benchmarks.worker_measure import peak_rss_bytes, reset_peak_rss, rss_bytes


def make_frame(rows: int, seed: int = 0) -> Any:
    """``rows`` x 8 mixed columns: 3 float, 2 int, 1 bool, 2 strings (one low-cardinality)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    words = np.array([f"category-{k:03d}" for k in range(200)], dtype=object)
    return pd.DataFrame(
        {
            "f0": rng.standard_normal(rows),
            "f1": rng.standard_normal(rows) * 1000.0,
            "f2": rng.random(rows),
            "i0": rng.integers(0, 1_000_000, rows, dtype=np.int64),
            "i1": np.arange(rows, dtype=np.int64),
            "b0": rng.random(rows) < 0.5,
            "s0": words[rng.integers(0, len(words), rows)],
            "s1": pd.Series(np.arange(rows)).map("id-{:08d}".format).to_numpy(dtype=object),
        }
    )


#: Raw pandas doing a dump and a load of each format, as a user without any wrapper would.
def _raw_pandas_io(fmt: str) -> tuple[Callable[[Any, str], None], Callable[[str], Any]]:
    import pandas as pd

    ops: dict[str, tuple[Callable[[Any, str], None], Callable[[str], Any]]] = {
        "pkl": (lambda df, p: df.to_pickle(p), pd.read_pickle),
        "csv": (lambda df, p: df.to_csv(p, index=False), pd.read_csv),
        "parquet": (lambda df, p: df.to_parquet(p, index=False), pd.read_parquet),
        "feather": (lambda df, p: df.to_feather(p), pd.read_feather),
    }
    return ops[fmt]


def scenario_frame(spec: dict[str, Any]) -> dict[str, Any]:
    """Dump and load a DataFrame: wall time of each, and peak RSS over both."""
    impl, fmt = spec["impl"], spec["format"]
    path = os.path.abspath(f"frame.{fmt}")
    if impl == "pandas":
        dump, load = _raw_pandas_io(fmt)
    elif impl == "core":
        from gokart_core import make_target

        target = make_target(path)
        dump, load = (lambda df, p: target.dump(df)), (lambda p: target.load())
    elif impl == "gokart":
        from gokart.target import make_target as gokart_make_target

        gtarget = gokart_make_target(path)
        dump, load = (lambda df, p: gtarget.dump(df)), (lambda p: gtarget.load())
    else:
        raise ValueError(impl)
    df = make_frame(spec["rows"])
    gc.collect()
    before = rss_bytes()
    peak_reset = reset_peak_rss()
    # Several round trips per process: the first load of a format in a fresh process pays
    # one-time costs (pyarrow's lazy initialisation, page cache) that vary by more than 2x
    # between runs and virtualenvs, for raw pandas as much as for any wrapper. The median of
    # the round trips is what the comparison uses; the first one is reported too. Fast formats
    # go round more often (up to ``seconds`` of round trips): a single load varies by +-20%
    # between processes, for raw pandas as much as for the wrappers.
    dumps: list[float] = []
    loads: list[float] = []
    least, most = int(spec.get("cycles", 1)), int(spec.get("max_cycles", spec.get("cycles", 1)))
    budget = float(spec.get("seconds", 0.0))
    while len(dumps) < least or (len(dumps) < most and sum(dumps) + sum(loads) < budget):
        if os.path.exists(path):
            os.remove(path)  # gokart-core and gokart keep a finished output: start over
        start = time.perf_counter()
        dump(df, path)
        dumped = time.perf_counter()
        loaded = load(path)
        done = time.perf_counter()
        if loaded.shape != df.shape:
            raise AssertionError(f"loaded {loaded.shape}, dumped {df.shape}")
        del loaded
        dumps.append(dumped - start)
        loads.append(done - dumped)
    peak = peak_rss_bytes()
    totals = [d + lo for d, lo in zip(dumps, loads)]
    return {
        "seconds": statistics.median(totals),
        "first_s": totals[0],
        "cycles": len(totals),
        "dump_s": statistics.median(dumps),
        "load_s": statistics.median(loads),
        "peak_rss": peak,
        "rss_before": before,
        "extra_rss": peak - before,
        "peak_reset": peak_reset,
        "file_bytes": os.path.getsize(path),
    }
