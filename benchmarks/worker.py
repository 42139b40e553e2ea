"""One measurement in this process: ``python -m benchmarks.worker SPEC.json RESULT.json``.

The runner (:mod:`benchmarks.runner`) starts this module once per scenario, implementation and
repeat, in the interpreter of that implementation: gokart-core, raw pandas and bare luigi run in
the interpreter that runs the benchmarks; gokart runs in its own virtualenv. Only the standard
library is imported at the top, here and in the ``worker_*`` modules it uses, so this module
imports in either environment; the implementation under test is imported inside the scenario,
and neither environment has the other package: gokart and gokart-core never share a process.

The spec names ``kind`` (the scenario), ``impl`` (``core``, ``gokart``, ``luigi`` or
``pandas``), the sizes and a ``workdir`` to chdir into (the workspace is ``./resources/`` there,
the default of both gokart and gokart-core). The result is JSON: the timed seconds, peak RSS and
what the scenario adds. Here: the task-graph scenarios and the versions; the DataFrame scenario
is :mod:`benchmarks.worker_frame`, the tasks :mod:`benchmarks.worker_tasks`.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any

from benchmarks.worker_frame import scenario_frame
from benchmarks.worker_measure import Timed, peak_rss_bytes, reset_peak_rss
from benchmarks.worker_protocol import serve
from benchmarks.worker_tasks import build, configure, tasks


def scenario_fanin(spec: dict[str, Any]) -> dict[str, Any]:
    """Build a root that requires ``n`` leaves (a full build, or a no-op on a finished one)."""
    impl, n = spec["impl"], spec["n"]
    if spec.get("durable"):  # gokart-core's durable local writes (issue 18)
        os.environ["GOKART_DURABLE_WRITES"] = "true"
    graph = tasks(impl)
    reset_peak_rss()
    with Timed(spec) as timer:
        value = build(impl, graph["fanin"](n=n))
    if value != sum(range(n)):
        raise AssertionError(f"fan-in built {value!r}")
    files = sum(len(f) for _, _, f in os.walk("resources"))
    return {
        "seconds": timer.seconds,
        "tasks": n + 1,
        "files": files,
        "peak_rss": peak_rss_bytes(),
        "fstype": filesystem_type(os.getcwd()),
    }


def filesystem_type(path: str) -> str:
    """The type of the filesystem ``path`` is on (``ext4``, ``tmpfs``, ...), from the mount
    table; ``unknown`` where there is none to read."""
    best, kind = "", "unknown"
    try:
        with open("/proc/mounts") as mounts:
            for line in mounts:
                fields = line.split()
                point = fields[1]
                inside = path == point or path.startswith(point.rstrip("/") + "/")
                if inside and len(point) > len(best):
                    best, kind = point, fields[2]
    except OSError:
        pass
    return kind


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
    if locked:
        configure(
            ("TaskOnKart", "redis_host", str(spec["redis_host"])),
            ("TaskOnKart", "redis_port", str(spec["redis_port"])),
            ("TaskOnKart", "should_lock_run", "true"),
        )
    else:
        configure(("TaskOnKart", "should_lock_run", "false"))
    graph = tasks(impl)
    reset_peak_rss()
    with Timed(spec) as timer:
        root = graph["fanin"](n=n - 1)
        value = build(impl, root)
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
    graph = tasks(impl)
    reset_peak_rss()
    with Timed(spec) as timer:
        value = build(impl, graph["chain"](n=n - 1))
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
    cls = tasks(impl)["params"]
    day = datetime.date(2024, 1, 1)
    one_day = datetime.timedelta(days=1)
    reset_peak_rss()
    with Timed(spec):
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


def work(spec: dict[str, Any]) -> dict[str, Any]:
    """The scenario that the spec's ``kind`` names, in this process."""
    return SCENARIOS[spec["kind"]](spec)


def main(argv: list[str]) -> int:
    return serve(work, argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
