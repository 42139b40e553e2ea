"""The worker side of the ``scaling`` scenario (:mod:`benchmarks.scaling`): one build in this
process, ``python -m benchmarks.scaling_worker SPEC.json RESULT.json``, started by
:meth:`benchmarks.runner.Runner.run` in the interpreter of the implementation (gokart 1.12.2 in
its own virtualenv, which has no gokart-core). Only the standard library is imported at the top;
the implementation under test inside :func:`work`.

The spec names ``impl`` (``core``, ``gokart``, ``luigi``), ``shape`` (``fanin``: ``n`` leaves
and a root that loads them all; ``chain``: ``n`` tasks, each loading the one before), ``n``,
``workers``, ``recursion_limit`` (set before the build when given) and ``workdir`` (to chdir
into; the workspace is ``./resources`` there). gokart-core's scheduler is the one that
``$GOKART_SCHEDULER`` chooses (the runner sets it); the result says which one it was.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from typing import Any

from benchmarks.worker_measure import peak_rss_bytes, reset_peak_rss
from benchmarks.worker_protocol import serve
from benchmarks.worker_tasks import configure, package

SHAPES = ("fanin", "chain")


def kart_tasks(kart: Any) -> dict[str, type]:
    """The fan-in and the chain as ``TaskOnKart`` classes of ``kart`` (gokart or gokart-core)."""
    import luigi

    class ScaleLeaf(kart.TaskOnKart):  # type: ignore[misc]
        i = luigi.IntParameter()

        def output(self) -> Any:
            return self.make_target("scaling/leaf.pkl")

        def run(self) -> None:
            self.dump(self.i)

    class ScaleFanIn(kart.TaskOnKart):  # type: ignore[misc]
        n = luigi.IntParameter()

        def requires(self) -> Any:
            return [ScaleLeaf(i=i) for i in range(self.n)]

        def output(self) -> Any:
            return self.make_target("scaling/root.pkl")

        def run(self) -> None:
            self.dump(sum(self.load()))

    class ScaleChain(kart.TaskOnKart):  # type: ignore[misc]
        n = luigi.IntParameter()

        def requires(self) -> Any:
            return ScaleChain(n=self.n - 1) if self.n > 0 else []

        def output(self) -> Any:
            return self.make_target("scaling/chain.pkl")

        def run(self) -> None:
            self.dump((self.load() if self.n > 0 else 0) + 1)

    return {"fanin": ScaleFanIn, "chain": ScaleChain}


def luigi_tasks() -> dict[str, type]:
    """The same graphs as bare luigi tasks writing pickles through ``luigi.LocalTarget``."""
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

    class BareScaleLeaf(_Pickled):
        i = luigi.IntParameter()

        @property
        def path(self) -> str:
            return f"resources/scaling/leaf_{self.i}.pkl"

        def run(self) -> None:
            self.dump(self.i)

    class BareScaleFanIn(_Pickled):
        n = luigi.IntParameter()
        path = "resources/scaling/root.pkl"

        def requires(self) -> Any:
            return [BareScaleLeaf(i=i) for i in range(self.n)]

        def run(self) -> None:
            self.dump(sum(t.load_result() for t in self.requires()))

    class BareScaleChain(_Pickled):
        n = luigi.IntParameter()

        @property
        def path(self) -> str:
            return f"resources/scaling/chain_{self.n}.pkl"

        def requires(self) -> Any:
            return BareScaleChain(n=self.n - 1) if self.n > 0 else []

        def run(self) -> None:
            self.dump((self.requires().load_result() if self.n > 0 else 0) + 1)

    return {"fanin": BareScaleFanIn, "chain": BareScaleChain}


def _scheduler(impl: str) -> str:
    """The scheduler that the build uses: gokart-core's own, or luigi's."""
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
    if impl == "luigi":
        cls = luigi_tasks()[shape]
    elif impl in ("core", "gokart"):
        configure(("TaskOnKart", "workspace_directory", "resources"))
        kart = package(impl)
        cls = kart_tasks(kart)[shape]
    else:
        raise ValueError(f"the scaling scenario runs core, gokart or luigi, not {impl!r}")
    arg = n if shape == "fanin" else n - 1  # the chain's root is the n-th task
    reset_peak_rss()
    start = time.perf_counter()
    root = cls(n=arg)
    if impl == "luigi":
        if not luigi.build([root], local_scheduler=True, workers=workers, log_level="ERROR"):
            raise RuntimeError(f"luigi.build({root}, workers={workers}) failed")
        value = root.load_result()
    else:
        value = kart.build(root, reset_register=False, log_level=logging.ERROR, workers=workers)
    seconds = time.perf_counter() - start
    expected = sum(range(n)) if shape == "fanin" else n
    if value != expected:
        raise AssertionError(f"the {shape} of {n} built {value!r}, not {expected}")
    return {
        "seconds": seconds,
        "per_task_s": seconds / n,
        "tasks": n + 1 if shape == "fanin" else n,
        "scheduler": _scheduler(impl),
        "recursion_limit": sys.getrecursionlimit(),
        "peak_rss": peak_rss_bytes(),
        "load1": load,
    }


def main(argv: list[str]) -> int:
    return serve(work, argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
