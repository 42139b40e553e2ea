"""The worker side of the ``scaling`` scenario (:mod:`benchmarks.scaling`): one build in this
process, ``python -m benchmarks.scaling_worker SPEC.json RESULT.json``, started by
:meth:`benchmarks.runner.Runner.run` in the interpreter of the implementation (gokart 1.12.2 in
its own virtualenv, which has no gokart-core). Only the standard library is imported at the top;
the implementation under test inside :func:`work`.

The spec names ``impl`` (``core``, ``gokart``, ``luigi``), ``shape`` (``fanin``: ``n`` leaves
and a root that loads them all; ``chain``: ``n`` tasks, each loading the one before), ``n``,
``workers``, ``recursion_limit`` (set before the build when given) and ``workdir`` (to chdir
into; the workspace is ``./resources`` there). gokart-core's scheduler is the one that
``$GOKART_SCHEDULER`` chooses (the runner sets it); the result says which one it was. With
``scheduler_url`` (gokart-core only) the build goes through that luigid, as one of several worker
processes sharing the graph: they stay while the graph has pending tasks (``keep_alive``).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from typing import Any

from benchmarks.worker_measure import peak_rss_bytes, reset_peak_rss
from benchmarks.worker_protocol import serve
from benchmarks.worker_tasks import configure, package, tasks

SHAPES = ("fanin", "chain")


def _scheduler(impl: str, url: str | None) -> str:
    """The scheduler that the build uses: gokart-core's own, or luigi's."""
    if url:
        return "gokart-luigid"  # the runner started it
    if impl != "core":
        return "luigi"
    from gokart_core.runner.scheduler import use_gokart_scheduler

    return "gokart-core" if use_gokart_scheduler() else "luigi"


def work(spec: dict[str, Any]) -> dict[str, Any]:
    """One build of ``n`` tasks' graph with ``workers`` workers, timed from instance creation
    to the end of the build."""
    import luigi

    impl, shape, n, workers = spec["impl"], spec["shape"], int(spec["n"]), int(spec["workers"])
    if shape not in SHAPES:
        raise ValueError(f"the scaling scenario builds {' or '.join(SHAPES)}, not {shape!r}")
    if spec.get("recursion_limit"):
        sys.setrecursionlimit(int(spec["recursion_limit"]))
    load = os.getloadavg()[0]
    if impl not in ("core", "gokart", "luigi"):
        raise ValueError(f"the scaling scenario runs core, gokart or luigi, not {impl!r}")
    if impl != "luigi":
        configure(("TaskOnKart", "workspace_directory", "resources"))
    url = spec.get("scheduler_url")
    remote: dict[str, Any] = {}
    if url:
        if impl != "core":
            raise ValueError("the scaling scenario builds through luigid with gokart-core only")
        # several processes of one machine share the graph: no pid lock, and each stays (and
        # asks for work often) while other processes run what its tasks need
        configure(
            ("core", "no_lock", "true"),
            ("worker", "keep_alive", "true"),
            ("worker", "wait_interval", "0.1"),
            ("worker", "wait_jitter", "0.2"),
        )
        remote = {"local_scheduler": False, "scheduler_url": url}
    # The graphs of the chain and fanin scenarios (a fresh work folder per build).
    cls = tasks(impl)[shape]
    arg = n if shape == "fanin" else n - 1  # the chain's root is the n-th task
    reset_peak_rss()
    start = time.perf_counter()
    root = cls(n=arg)
    if impl == "luigi":
        if not luigi.build([root], local_scheduler=True, workers=workers, log_level="ERROR"):
            raise RuntimeError(f"luigi.build({root}, workers={workers}) failed")
        value = root.load_result()
    else:
        value = package(impl).build(
            root, reset_register=False, log_level=logging.ERROR, workers=workers, **remote
        )
    seconds = time.perf_counter() - start
    expected = sum(range(n)) if shape == "fanin" else n
    if value != expected:
        raise AssertionError(f"the {shape} of {n} built {value!r}, not {expected}")
    return {
        "seconds": seconds,
        "per_task_s": seconds / n,
        "tasks": n + 1 if shape == "fanin" else n,
        "scheduler": _scheduler(impl, url),
        "recursion_limit": sys.getrecursionlimit(),
        "peak_rss": peak_rss_bytes(),
        "load1": load,
    }


def main(argv: list[str]) -> int:
    return serve(work, argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
