"""The worker side of the ``parallel`` scenario (:mod:`benchmarks.parallel`): one build in this
process, ``python -m benchmarks.parallel_worker SPEC.json RESULT.json``, started by
:meth:`benchmarks.runner.Runner.run` in the interpreter of the implementation (gokart in its own
virtualenv). Only the standard library is imported at the top; the implementation under test
inside :func:`work`.

The spec names ``impl`` (``core``, ``gokart``, ``luigi``), ``fs`` (``local`` or ``s3``),
``workers``, ``leaves``, ``iterations`` (of :func:`spin` per leaf, calibrated by the runner),
``prefix`` (of the S3 workspace), ``endpoint`` (of the S3 server) and ``workdir`` (to chdir into;
the local workspace is ``./resources`` there).
"""

from __future__ import annotations

import logging
import os
import statistics
import sys
import time
from typing import Any

from benchmarks.worker_protocol import serve
from benchmarks.worker_tasks import configure, package

BUCKET = "gokart-bench-parallel"


def spin(iterations: int, seed: int) -> int:
    """One leaf's CPU work: a pure-Python integer LCG (no I/O, no C extension; it holds the
    GIL throughout)."""
    x = seed
    for _ in range(iterations):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
    return x


def calibrate(seconds: float) -> dict[str, Any]:
    """Iterations of :func:`spin` that take ``seconds`` here: the fastest of 9 timed runs of
    about 0.1 s each, 0.2 s apart (the least disturbed by other processes), then one check at
    full size and the machine's ceiling for two processes."""
    n = 10_000
    while True:
        start = time.process_time()
        spin(n, 0)
        took = time.process_time() - start
        if took >= 0.02:
            break
        n *= 4
    n = max(1, int(n * 0.1 / took))
    timings = []
    for _ in range(9):
        timings.append(_timed_spin(n))
        time.sleep(0.2)
    best = min(timings)
    iterations = max(1, round(n * seconds / best))
    check = _timed_spin(iterations)
    one = time.perf_counter()
    spin(iterations, 2)
    one = time.perf_counter() - one
    return {
        "iterations": iterations,
        "ns_per_iteration": best / n * 1e9,
        "check_s": check,
        "one_wall_s": one,
        "two_wall_s": _two_at_once(iterations),
        "load1": os.getloadavg()[0],
    }


def _two_at_once(n: int) -> float:
    """Wall time of two forked processes running ``spin(n)`` at once: the machine's own ceiling
    for two workers (2 x one's time / this)."""
    start = time.perf_counter()
    pids = []
    for seed in (3, 4):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            spin(n, seed)
            os._exit(0)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)
    return time.perf_counter() - start


def _timed_spin(n: int) -> float:
    start = time.process_time()
    spin(n, 1)
    return time.process_time() - start


# ------------------------------------------------------------------------------- worker


def _leaf_result(iterations: int, i: int) -> dict[str, Any]:
    wall, cpu = time.perf_counter(), time.thread_time()
    value = spin(iterations, i)
    return {
        "value": value,
        "cpu_s": time.thread_time() - cpu,
        "wall_s": time.perf_counter() - wall,
        "pid": os.getpid(),
    }


def _root_result(leaves: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "checksum": sum(r["value"] for r in leaves) & 0xFFFFFFFF,
        "cpu_s": [r["cpu_s"] for r in leaves],
        "wall_s": [r["wall_s"] for r in leaves],
        "pids": sorted({r["pid"] for r in leaves}),
    }


def _kart_tasks(kart: Any) -> tuple[type, type]:
    import luigi

    class ParallelLeaf(kart.TaskOnKart):  # type: ignore[misc]
        i = luigi.IntParameter()
        iterations = luigi.IntParameter()

        def output(self) -> Any:
            return self.make_target("parallel/leaf.pkl")

        def run(self) -> None:
            self.dump(_leaf_result(self.iterations, self.i))

    class ParallelRoot(kart.TaskOnKart):  # type: ignore[misc]
        leaves = luigi.IntParameter()
        iterations = luigi.IntParameter()

        def requires(self) -> Any:
            return [ParallelLeaf(i=i, iterations=self.iterations) for i in range(self.leaves)]

        def output(self) -> Any:
            return self.make_target("parallel/root.pkl")

        def run(self) -> None:
            self.dump(_root_result(self.load()))

    return ParallelLeaf, ParallelRoot


#: luigi.contrib.s3's client of this process: (pid, client); a forked child makes its own.
_S3_CLIENT: list[Any] = [None, None]


def _luigi_tasks(fs: str, base: str, endpoint: str | None, client: str) -> tuple[type, type]:
    """Bare luigi: pickles through ``LocalTarget``; on S3 through luigi's own ``S3Target``
    (boto3) with one ``S3Client`` per process, or (``client="s3fs"``) through s3fs."""
    import pickle

    import luigi
    import luigi.format

    class S3fsTarget(luigi.Target):
        def __init__(self, path: str) -> None:
            self.path = path

        @staticmethod
        def fs() -> Any:
            import fsspec

            return fsspec.filesystem("s3", endpoint_url=endpoint)  # one instance per process

        def exists(self) -> bool:
            return bool(self.fs().exists(self.path))

        def open(self, mode: str) -> Any:
            return self.fs().open(self.path, mode + "b")

    def s3_target(path: str) -> Any:
        if client == "s3fs":
            return S3fsTarget(path)
        import luigi.contrib.s3

        if _S3_CLIENT[0] != os.getpid():  # boto3 is not fork-safe: a client per process
            _S3_CLIENT[:] = [os.getpid(), luigi.contrib.s3.S3Client(endpoint_url=endpoint)]
        return luigi.contrib.s3.S3Target(path, client=_S3_CLIENT[1], format=luigi.format.Nop)

    class _Pickled(luigi.Task):
        name: str  # of the output file

        def output(self) -> Any:
            path = f"{base}/parallel/{self.name}.pkl"
            if fs == "s3":
                return s3_target(path)
            return luigi.LocalTarget(path, format=luigi.format.Nop)

        def dump(self, obj: Any) -> None:
            with self.output().open("w") as fp:
                pickle.dump(obj, fp, protocol=5)

        def load_result(self) -> Any:
            with self.output().open("r") as fp:
                return pickle.loads(fp.read())  # luigi's S3 reader has no readline

    class BareParallelLeaf(_Pickled):
        i = luigi.IntParameter()
        iterations = luigi.IntParameter()

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.name = f"leaf_{self.i}_{self.iterations}"

        def run(self) -> None:
            self.dump(_leaf_result(self.iterations, self.i))

    class BareParallelRoot(_Pickled):
        leaves = luigi.IntParameter()
        iterations = luigi.IntParameter()
        name = "root"

        def requires(self) -> Any:
            n, iterations = self.leaves, self.iterations
            return [BareParallelLeaf(i=i, iterations=iterations) for i in range(n)]

        def run(self) -> None:
            self.dump(_root_result([t.load_result() for t in self.requires()]))

    return BareParallelLeaf, BareParallelRoot


def work(spec: dict[str, Any]) -> dict[str, Any]:
    """One build of one implementation with ``workers`` workers, in this process."""
    import luigi

    impl, fs, workers = spec["impl"], spec["fs"], int(spec["workers"])
    leaves, iterations = int(spec["leaves"]), int(spec["iterations"])
    load = os.getloadavg()[0]
    base = f"s3://{BUCKET}/{spec['prefix']}" if fs == "s3" else "resources"
    if impl == "luigi":
        client = spec.get("client", "boto3")
        _, root_cls = _luigi_tasks(fs, base, spec.get("endpoint"), client)
    else:
        settings = [("TaskOnKart", "workspace_directory", base)]
        if fs == "s3":  # gokart finds the server in $AWS_ENDPOINT_URL, set by the runner
            settings.append(("gokart_s3", "endpoint_url", spec["endpoint"]))
        configure(*settings)
        if impl not in ("core", "gokart"):
            raise ValueError(f"the parallel scenario runs core, gokart or luigi, not {impl!r}")
        kart = package(impl)
        _, root_cls = _kart_tasks(kart)
    start = time.perf_counter()
    root = root_cls(leaves=leaves, iterations=iterations)
    if impl == "luigi":
        ok = luigi.build([root], local_scheduler=True, workers=workers, log_level="ERROR")
        if not ok:
            raise RuntimeError(f"luigi.build({root}, workers={workers}) failed")
        value = root.load_result()
    else:
        value = kart.build(root, reset_register=False, log_level=logging.ERROR, workers=workers)
    seconds = time.perf_counter() - start
    if len(value["cpu_s"]) != leaves:
        raise AssertionError(f"the root loaded {len(value['cpu_s'])} leaves of {leaves}")
    forked = [p for p in value["pids"] if p != os.getpid()]
    return {
        "seconds": seconds,
        "checksum": value["checksum"],
        "leaf_cpu_s": statistics.median(value["cpu_s"]),
        "leaf_wall_s": statistics.median(value["wall_s"]),
        "leaf_cpu_sum_s": sum(value["cpu_s"]),
        "forked": len(forked),
        "load1": load,
    }


def main(argv: list[str]) -> int:
    return serve(work, argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
