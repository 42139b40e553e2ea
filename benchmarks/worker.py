"""One measurement in this process: ``python -m benchmarks.worker SPEC.json RESULT.json``.

The runner (:mod:`benchmarks.cli`) starts this module once per scenario, implementation and
repeat, in the interpreter of that implementation: gokart-core, raw pandas and bare luigi run in
the interpreter that runs the benchmarks; gokart runs in its own virtualenv. Only the standard
library is imported at the top, so this module imports in either environment; the
implementation under test is imported inside the scenario, and neither environment has the other
package: gokart and gokart-core never share a process.

The spec names ``scenario``, ``impl`` (``core``, ``gokart``, ``luigi`` or ``pandas``), the sizes and
a ``workdir`` to chdir into (the workspace is ``./resources/`` there, the default of both gokart
and gokart-core). The result is JSON: the timed seconds, peak RSS and what the scenario adds.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import resource
import statistics
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

# ----------------------------------------------------------------------------- memory


def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as fp:
            for line in fp:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_bytes() -> int:
    """The resident set size now (``VmRSS``), or the peak where /proc is missing."""
    kib = _status_kib("VmRSS")
    return kib * 1024 if kib is not None else peak_rss_bytes()


def reset_peak_rss() -> bool:
    """Reset the kernel's high-water mark of this process to its RSS now (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as fp:
            fp.write("5")
    except OSError:
        return False
    return True


def peak_rss_bytes() -> int:
    """The peak resident set size since the last :func:`reset_peak_rss` (``VmHWM``)."""
    kib = _status_kib("VmHWM")
    if kib is not None:
        return kib * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# ------------------------------------------------------------------------- the subject


def _kart(impl: str) -> Any:
    """The package under test: gokart-core or gokart, under the one name the tasks use."""
    if impl == "core":
        import gokart_core as kart
    elif impl == "gokart":
        import gokart as kart
    else:
        raise ValueError(f"no TaskOnKart in implementation {impl!r}")
    return kart


def _build(impl: str, root: Any) -> Any:
    """Build ``root`` with a local scheduler and one worker; return its output."""
    if impl == "luigi":
        import luigi

        ok = luigi.build([root], local_scheduler=True, log_level="ERROR")
        if not ok:
            raise RuntimeError(f"luigi.build({root}) failed")
        return root.load_result()
    return _kart(impl).build(root, reset_register=False, log_level=logging.ERROR)


def define_kart_tasks(kart: Any) -> dict[str, type]:
    """The benchmark graphs as ``TaskOnKart`` classes of ``kart`` (gokart or gokart-core)."""
    import luigi

    class BenchLeaf(kart.TaskOnKart):  # type: ignore[misc, name-defined]
        i = luigi.IntParameter()

        def output(self) -> Any:
            return self.make_target("fanin/leaf.pkl")

        def run(self) -> None:
            self.dump(self.i)

    class BenchFanIn(kart.TaskOnKart):  # type: ignore[misc, name-defined]
        n = luigi.IntParameter()

        def requires(self) -> Any:
            return [BenchLeaf(i=i) for i in range(self.n)]

        def output(self) -> Any:
            return self.make_target("fanin/root.pkl")

        def run(self) -> None:
            self.dump(sum(self.load()))

    class BenchChain(kart.TaskOnKart):  # type: ignore[misc, name-defined]
        n = luigi.IntParameter()

        def requires(self) -> Any:
            return BenchChain(n=self.n - 1) if self.n > 0 else []

        def output(self) -> Any:
            return self.make_target("chain/chain.pkl")

        def run(self) -> None:
            self.dump((self.load() if self.n > 0 else 0) + 1)

    class BenchParams(kart.TaskOnKart):  # type: ignore[misc, name-defined]
        a = luigi.IntParameter()
        b = luigi.Parameter()
        c = luigi.FloatParameter()
        d = luigi.BoolParameter()
        e = luigi.DateParameter()

    return {"leaf": BenchLeaf, "fanin": BenchFanIn, "chain": BenchChain, "params": BenchParams}


def define_luigi_tasks() -> dict[str, type]:
    """The same graphs as bare luigi tasks writing the same pickles: the floor."""
    import pickle

    import luigi
    import luigi.format

    class _Pickled(luigi.Task):
        def output(self) -> Any:
            return luigi.LocalTarget(self.path, format=luigi.format.Nop)

        def dump(self, obj: Any) -> None:
            with self.output().open("w") as fp:
                pickle.dump(obj, fp, protocol=5)

        def load_result(self) -> Any:
            with self.output().open("r") as fp:
                return pickle.load(fp)

    class BareLeaf(_Pickled):
        i = luigi.IntParameter()

        @property
        def path(self) -> str:
            return f"resources/fanin/leaf_{self.i}.pkl"

        def run(self) -> None:
            self.dump(self.i)

    class BareFanIn(_Pickled):
        n = luigi.IntParameter()
        path = "resources/fanin/root.pkl"

        def requires(self) -> Any:
            return [BareLeaf(i=i) for i in range(self.n)]

        def run(self) -> None:
            self.dump(sum(t.load_result() for t in self.requires()))

    class BareChain(_Pickled):
        n = luigi.IntParameter()

        @property
        def path(self) -> str:
            return f"resources/chain/chain_{self.n}.pkl"

        def requires(self) -> Any:
            return BareChain(n=self.n - 1) if self.n > 0 else []

        def run(self) -> None:
            self.dump((self.requires().load_result() if self.n > 0 else 0) + 1)

    class BareParams(luigi.Task):
        a = luigi.IntParameter()
        b = luigi.Parameter()
        c = luigi.FloatParameter()
        d = luigi.BoolParameter()
        e = luigi.DateParameter()

        def make_unique_id(self) -> str:
            return str(self.task_id)  # luigi's own hash of the parameters, made at creation

    return {"leaf": BareLeaf, "fanin": BareFanIn, "chain": BareChain, "params": BareParams}


def _tasks(impl: str) -> dict[str, type]:
    return define_luigi_tasks() if impl == "luigi" else define_kart_tasks(_kart(impl))


# --------------------------------------------------------------------------- profiling


class _Timed:
    """Times a block; profiles it with pyinstrument when the spec asks for a profile."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.profile_path: str | None = spec.get("profile")
        self.seconds = 0.0
        self._profiler: Any = None

    def __enter__(self) -> _Timed:
        if self.profile_path:
            from pyinstrument import Profiler

            self._profiler = Profiler(interval=0.001)
            self._profiler.start()
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._start
        if self._profiler is not None:
            self._profiler.stop()
            text = self._profiler.output_text(unicode=False, color=False, show_all=False)
            flat = self._profiler.output_text(unicode=False, color=False, flat=True)
            with open(self.profile_path, "w") as fp:  # type: ignore[arg-type]
                fp.write(text)
                fp.write("\n---- flat (self time per function) ----\n")
                fp.write("\n".join(flat.splitlines()[:60]) + "\n")


# --------------------------------------------------------------------------- scenarios


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


def scenario_fanin(spec: dict[str, Any]) -> dict[str, Any]:
    """Build a root that requires ``n`` leaves (a full build, or a no-op on a finished one)."""
    impl, n = spec["impl"], spec["n"]
    tasks = _tasks(impl)
    reset_peak_rss()
    with _Timed(spec) as timer:
        value = _build(impl, tasks["fanin"](n=n))
    if value != sum(range(n)):
        raise AssertionError(f"fan-in built {value!r}")
    files = sum(len(f) for _, _, f in os.walk("resources"))
    return {"seconds": timer.seconds, "tasks": n + 1, "files": files, "peak_rss": peak_rss_bytes()}


def scenario_lock(spec: dict[str, Any]) -> dict[str, Any]:
    """A fan-in of ``n`` tasks (``n - 1`` leaves and the root) with gokart-redis's lock on, or
    the same build without locking.

    Both builds set ``[TaskOnKart]`` in the luigi config, so that they differ only in the lock:
    with ``lock`` it names the redis server (``redis_host``/``redis_port``) and
    ``should_lock_run=true``, so every ``exists``/``load``/``dump`` of an output and every
    ``run()`` is locked; without, it sets ``should_lock_run=false`` (the default).
    """
    impl, n, locked = spec["impl"], spec["n"], bool(spec["lock"])
    if impl != "core":
        raise ValueError(f"the lock scenario measures gokart-core only, not {impl!r}")
    import luigi.configuration

    config = luigi.configuration.get_config()
    if not config.has_section("TaskOnKart"):
        config.add_section("TaskOnKart")
    if locked:
        config.set("TaskOnKart", "redis_host", str(spec["redis_host"]))
        config.set("TaskOnKart", "redis_port", str(spec["redis_port"]))
        config.set("TaskOnKart", "should_lock_run", "true")
    else:
        config.set("TaskOnKart", "should_lock_run", "false")
    tasks = _tasks(impl)
    reset_peak_rss()
    with _Timed(spec) as timer:
        root = tasks["fanin"](n=n - 1)
        value = _build(impl, root)
    if value != sum(range(n - 1)):
        raise AssertionError(f"fan-in built {value!r}")
    # gokart-redis imports its lock only when a task asks for one: proof that the lock was on
    # (or off) in the build measured.
    used = "gokart_redis._lock" in sys.modules
    if used != locked or bool(root.should_lock_run) != locked:
        raise AssertionError(
            f"lock={locked} asked, but redis lock used={used}, "
            f"should_lock_run={root.should_lock_run}, redis_host={root.redis_host!r}"
        )
    return {"seconds": timer.seconds, "tasks": n, "lock": locked, "peak_rss": peak_rss_bytes()}


def scenario_chain(spec: dict[str, Any]) -> dict[str, Any]:
    """Build a chain of ``n`` tasks, each required by the next."""
    impl, n = spec["impl"], spec["n"]
    if spec.get("recursion_limit"):
        sys.setrecursionlimit(spec["recursion_limit"])
    tasks = _tasks(impl)
    reset_peak_rss()
    with _Timed(spec) as timer:
        value = _build(impl, tasks["chain"](n=n - 1))
    if value != n:
        raise AssertionError(f"chain built {value!r}")
    return {
        "seconds": timer.seconds,
        "tasks": n,
        "recursion_limit": sys.getrecursionlimit(),
        "peak_rss": peak_rss_bytes(),
    }


def scenario_uid(spec: dict[str, Any]) -> dict[str, Any]:
    """Create ``n`` distinct task instances with 5 mixed parameters and take their unique ids."""
    import datetime

    impl, n = spec["impl"], spec["n"]
    cls = _tasks(impl)["params"]
    day = datetime.date(2024, 1, 1)
    one_day = datetime.timedelta(days=1)
    reset_peak_rss()
    with _Timed(spec):
        start = time.perf_counter()
        instances = [
            cls(a=i, b=f"name-{i % 97}", c=i * 0.25, d=i % 2 == 0, e=day + (i % 365) * one_day)
            for i in range(n)
        ]
        created = time.perf_counter()
        ids = {t.make_unique_id() for t in instances}
        done = time.perf_counter()
    if len(ids) != n:
        raise AssertionError(f"{len(ids)} distinct unique ids for {n} tasks")
    return {
        "seconds": done - start,
        "create_s": created - start,
        "uid_s": done - created,
        "n": n,
        "params_per_task": len(cls.get_params()),
        "peak_rss": peak_rss_bytes(),
    }


def scenario_info(spec: dict[str, Any]) -> dict[str, Any]:
    """Versions of this interpreter and of what the benchmarks use in it."""
    import importlib.metadata
    import platform

    versions: dict[str, str | None] = {}
    for dist in (
        "gokart-core",
        "gokart",
        "luigi",
        "pandas",
        "pyarrow",
        "numpy",
        "pyinstrument",
        "gokart-redis",
        "redis",
    ):
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[dist] = None
    blas: list[dict[str, Any]] = []
    try:
        import numpy  # noqa: F401
        from threadpoolctl import threadpool_info

        blas = [
            {k: i.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
            for i in threadpool_info()
        ]
    except ImportError:
        pass
    return {
        "seconds": 0.0,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "versions": versions,
        "blas": blas,
        "openblas_env": {
            k: os.environ.get(k)
            for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
            if k in os.environ
        },
        "recursion_limit": sys.getrecursionlimit(),
    }


SCENARIOS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "frame": scenario_frame,
    "fanin": scenario_fanin,
    "chain": scenario_chain,
    "lock": scenario_lock,
    "uid": scenario_uid,
    "info": scenario_info,
}


def main(argv: list[str]) -> int:
    spec_path, result_path = argv
    with open(spec_path) as fp:
        spec = json.load(fp)
    os.makedirs(spec["workdir"], exist_ok=True)
    os.chdir(spec["workdir"])
    try:
        result = SCENARIOS[spec["kind"]](spec)
        result["ok"] = True
    except BaseException as exc:  # a failure is a result too (gokart's deep chain)
        lines = traceback.format_exception_only(type(exc), exc)
        message = lines[-1].strip() if lines else type(exc).__name__
        result = {"ok": False, "error": type(exc).__name__, "message": message[:400]}
        cause: BaseException | None = exc
        while cause is not None:  # name the root cause too (GokartBuildError wraps it)
            result["root_error"] = type(cause).__name__
            cause = cause.__cause__ or cause.__context__
    with open(result_path, "w") as fp:
        json.dump(result, fp)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
