"""The ``parallel`` scenario (issue 12): luigi's ``workers=N`` on a CPU-bound fan-in.

``--parallel-leaves`` leaves (32), each doing the same pure-Python loop (:func:`spin
<benchmarks.parallel_worker.spin>`, about ``--parallel-work`` seconds: 0.3), and a root that loads
them all, built with ``workers=1`` and with ``workers=--parallel-workers`` (2) by gokart-core,
gokart 1.12.2 and bare luigi, on a local workspace and on ``s3://`` (a moto server of the
runner's on 127.0.0.1). luigi forks one child per task when ``workers > 1``. The runner
calibrates the loop once, in its own interpreter, and passes the iteration count to every
process: every implementation does identical work (the root's checksum of the leaves' results is
the same in every build). Bare luigi writes pickles through ``luigi.LocalTarget`` locally, and on
S3 through ``luigi.contrib.s3`` (boto3, one client per process) and, as a second row, through
s3fs.

The machine may be shared: before each build the runner waits (a while) for the other
processes to be quiet, measures the cores they used during the build (:mod:`benchmarks.cpu_load`)
and runs a pair of builds (workers=1 and N) again when they were busy; the quietest attempt
counts.

Here: the runner's side, in the benchmarks' interpreter. One build per process:
:mod:`benchmarks.parallel_worker`; the Markdown: :mod:`benchmarks.parallel_report`.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any

from benchmarks.cpu_load import Others, own_cpu_s, process_cpu_s
from benchmarks.parallel_worker import BUCKET, calibrate
from benchmarks.s3_worker import AWS_ENV
from benchmarks.scenarios import rotated as _rotated
from gokart_core.testing.servers import MotoServer

if TYPE_CHECKING:
    import argparse

    from benchmarks.runner import Runner

#: The table's rows: (key, implementation, what the worker's spec adds); luigi-s3fs on S3 only.
COLUMNS: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("core", "core", {}),
    ("gokart", "gokart", {}),
    ("luigi", "luigi", {}),
    ("luigi-s3fs", "luigi", {"client": "s3fs"}),
)
LABELS = {
    "core": "gokart-core",
    "gokart": "gokart 1.12.2",
    "luigi": "bare luigi",
    "luigi-s3fs": "bare luigi through s3fs",
}
WORKSPACES = {"local": "local folder", "s3": "`s3://` (moto)"}
#: Cores that the machine's other processes may use when a build starts (--parallel-quiet-wait).
QUIET_BELOW = 0.25
#: ... and during a pair of builds (workers=1 and N), else the pair runs again (--parallel-retries).
QUIET_MAX = 0.25


# ------------------------------------------------------------------------------- runner


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--parallel-leaves", type=int, help="CPU-bound leaves of the fan-in [32]")
    p.add_argument("--parallel-work", type=float, help="seconds of pure-Python work per leaf [0.3]")
    p.add_argument(
        "--parallel-workers", type=int, default=2, help="workers compared with 1 [%(default)s]"
    )
    p.add_argument(
        "--parallel-repeats", type=int, help="repeats of the parallel scenario [--repeats + 2]"
    )
    p.add_argument(
        "--parallel-workspaces", default="local,s3", help="local and/or s3 [%(default)s]"
    )
    p.add_argument(
        "--parallel-quiet-wait",
        type=float,
        help="before each build, wait up to this many seconds for the other processes of the "
        f"machine to use less than {QUIET_BELOW} cores [15; quick: 0]",
    )
    p.add_argument(
        "--parallel-retries",
        type=int,
        help="times a pair of builds (workers=1 and N) runs again when the other processes "
        f"used more than {QUIET_MAX} cores during it; the quietest attempt counts [1; quick: 0]",
    )


def set_defaults(args: argparse.Namespace) -> None:
    quick = args.quick
    for name, full, small in (
        ("parallel_leaves", 32, 4),
        ("parallel_work", 0.3, 0.02),
        ("parallel_repeats", args.repeats + 2, args.repeats),
        ("parallel_quiet_wait", 15.0, 0.0),
        ("parallel_retries", 1, 0),
    ):
        if getattr(args, name) is None:
            setattr(args, name, small if quick else full)
    args.parallel_workspaces = [w for w in args.parallel_workspaces.split(",") if w]


def run(args: argparse.Namespace, runner: Runner) -> dict[str, Any]:
    """Every implementation, workspace and worker count, interleaved in each repeat."""
    import importlib.metadata

    others = Others()
    quiet = args.parallel_quiet_wait
    others.wait_quiet(QUIET_BELOW, 4 * quiet)  # the calibration above all wants a quiet machine
    out: dict[str, Any] = {
        "leaves": args.parallel_leaves,
        "work_s": args.parallel_work,
        "workers": args.parallel_workers,
        "repeats": args.parallel_repeats,
        "quiet_wait": quiet,
        "retries": args.parallel_retries,
        "calibration": calibrate(args.parallel_work),
        "samples": {},
        "errors": {},
    }
    iterations = out["calibration"]["iterations"]
    print(f"parallel: {iterations:,} iterations per leaf", file=sys.stderr, flush=True)
    columns = [c for c in COLUMNS if c[1] != "gokart" or "gokart" in runner.pythons]
    server: MotoServer | None = None
    env: dict[str, str] = {}
    workspaces = list(args.parallel_workspaces)
    if "s3" in workspaces:
        try:
            server = MotoServer.start(runner.workroot / "moto-parallel")
            server.create_bucket(BUCKET)
            out["server"] = f"moto {importlib.metadata.version('moto')} on 127.0.0.1:{server.port}"
            env = {**AWS_ENV, "AWS_ENDPOINT_URL": server.endpoint_url}
            others.helpers.append(server.process.pid)  # the server's CPU is the build's
        except (OSError, RuntimeError) as exc:
            out["errors"]["s3"] = f"{type(exc).__name__}: {exc}"
            workspaces.remove("s3")
            if server is not None:
                server.stop()
            server = None
    measure = _Measure(runner, others, server, env, quiet)
    try:
        for r in range(args.parallel_repeats):
            print(f"-- parallel repeat {r + 1}", file=sys.stderr, flush=True)
            for fs in _rotated(workspaces, r):
                for key, impl, extra in _rotated(columns, r):
                    if key == "luigi-s3fs" and fs != "s3":
                        continue
                    cell = out["samples"].setdefault(fs, {}).setdefault(key, {})
                    counts = [1, args.parallel_workers]
                    for attempt in range(1 + args.parallel_retries):
                        pair = []
                        for workers in _rotated(counts, r):
                            spec = {
                                "kind": "parallel",
                                "fs": fs,
                                "workers": workers,
                                "leaves": args.parallel_leaves,
                                "iterations": iterations,
                                "prefix": f"{key}-w{workers}-r{r}-a{attempt}",
                                **extra,
                            }
                            result = measure(impl, spec)
                            result.update(repeat=r, attempt=attempt)
                            cell.setdefault(str(workers), []).append(result)
                            pair.append(result)
                        if _noise(pair) <= QUIET_MAX or attempt == args.parallel_retries:
                            break
                        print(f"{'':>27}busy: the pair again", file=sys.stderr, flush=True)
                    _keep_quietest(cell, r)
    finally:
        if server is not None:
            server.stop()
    return out


def _noise(pair: list[dict[str, Any]]) -> float:
    """The most cores the others used during either build of a pair (0 when not known)."""
    return max((r.get("others") or 0.0 for r in pair), default=0.0)


def _keep_quietest(cell: dict[str, list[dict[str, Any]]], repeat: int) -> None:
    """Of the attempts of one repeat's pair, the quietest counts; the others are kept in the
    results, marked ``superseded``."""
    attempts: dict[int, list[dict[str, Any]]] = {}
    for results in cell.values():
        for res in results:
            if res.get("repeat") == repeat:
                attempts.setdefault(res.get("attempt", 0), []).append(res)
    if len(attempts) < 2:
        return
    best = min(attempts, key=lambda a: (_noise(attempts[a]), a))
    for a, pair in attempts.items():
        for res in pair:
            res["superseded"] = a != best


class _Measure:
    """One build in a fresh process, after waiting for the machine to be quiet: its result with
    the CPU that it, the moto server and the machine's other processes used meanwhile."""

    def __init__(
        self,
        runner: Runner,
        others: Others,
        server: Any,
        env: dict[str, str],
        quiet: float,
    ) -> None:
        self.runner, self.others, self.server, self.env, self.quiet = (
            runner,
            others,
            server,
            env,
            quiet,
        )

    def __call__(self, impl: str, spec: dict[str, Any]) -> dict[str, Any]:
        s3 = spec["fs"] == "s3" and self.server is not None
        if s3:
            spec["endpoint"] = self.server.endpoint_url
        waited = time.monotonic()
        before = self.others.wait_quiet(QUIET_BELOW, self.quiet) if self.quiet > 0 else None
        waited = time.monotonic() - waited
        pid = self.server.process.pid if s3 else None
        served = process_cpu_s(pid) if pid else 0.0
        self.others.start()
        cpu = own_cpu_s()
        result = self.runner.run(
            impl, spec, module="benchmarks.parallel_worker", env=self.env if s3 else None
        )
        result.update(
            cpu_s=own_cpu_s() - cpu,  # the worker and its forked children
            server_cpu_s=process_cpu_s(pid) - served if pid else None,
            others=self.others.cores(),
            others_before=before,
            waited=waited,
        )
        if result["others"] is not None:
            print(
                f"{'':>27}others used {result['others']:.2f} cores "
                f"(waited {waited:.0f} s for quiet)",
                file=sys.stderr,
                flush=True,
            )
        return result
