"""The ``scaling`` scenario (issue 14): how a build's time per task grows with the graph.

Two graphs of tiny outputs on the local workspace (``./resources`` in the work folder): a
fan-in (``n`` leaves and a root that loads them all) and a chain (``n`` tasks, each loading the
one before), built with one worker and with ``workers=--scaling-workers`` (2), each build in a
fresh process (:mod:`benchmarks.scaling_worker`), timed from instance creation to the end of
``build()``. gokart-core, on its own scheduler (``gokart_core.runner.scheduler.Scheduler``), runs
at ``--scaling-sizes`` (1,000, 10,000, 100,000 tasks). At ``--scaling-baseline-sizes`` (1,000,
2,000, 4,000) run the curves it is compared with: gokart-core with ``GOKART_SCHEDULER=luigi``
(luigi's own scheduler: the difference that the scheduler makes), bare luigi and gokart 1.12.2.
luigi's scheduler costs more per task as the graph grows; the report extrapolates their larger
rows from a least-squares fit ``t(n) = a*n + b*n^2`` of the measured curve, marked as such. At
``--scaling-luigid-sizes`` gokart-core builds through ``gokart-luigid`` (a fresh one per build):
``--scaling-luigid-processes`` (3) worker processes start together on the same root and work
folder, and the build's time is the longest of theirs.

Sizes of ``--scaling-single-from`` tasks (10,000) and more run once; the smaller ones
``--repeats`` times, the implementations in an order rotated per repeat. ``workers`` > 1 forks a
process per task, so it runs up to ``--scaling-workers-max-size`` tasks only (10,000). Chains
are built at a recursion limit of ``--scaling-recursion-limit`` (gokart 1.12.2's recursion goes
as deep as the chain). A build gets up to ``--scaling-timeout`` seconds.

Here: the runner's side. One build per process: :mod:`benchmarks.scaling_worker`; the Markdown
and the fit: :mod:`benchmarks.scaling_report`.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from benchmarks.cpu_load import Others
from benchmarks.scaling_worker import SHAPES
from benchmarks.scenarios import rotated as _rotated

if TYPE_CHECKING:
    from benchmarks.runner import Runner

#: The columns: (key, implementation, what the environment adds, which sizes they run at).
COLUMNS: tuple[tuple[str, str, dict[str, str], str], ...] = (
    ("core", "core", {"GOKART_SCHEDULER": "gokart"}, "sizes"),
    ("core-luigi", "core", {"GOKART_SCHEDULER": "luigi"}, "baseline"),
    ("gokart", "gokart", {}, "baseline"),
    ("luigi", "luigi", {}, "baseline"),
    ("core-luigid", "core", {"GOKART_SCHEDULER": "gokart"}, "luigid"),
)
LABELS = {
    "core": "gokart-core",
    "core-luigi": "gokart-core, `GOKART_SCHEDULER=luigi`",
    "gokart": "gokart 1.12.2",
    "luigi": "bare luigi",
    "core-luigid": "gokart-core through gokart-luigid",
}
SHAPE_LABELS = {"fanin": "fan-in", "chain": "chain"}
#: The scheduler that each column's builds must report (luigi's where not named).
SCHEDULERS = {"core": "gokart-core", "core-luigid": "gokart-luigid"}
#: gokart-luigid's ``[scheduler]`` in the benchmark: luigi's defaults, not the tests' quick ones.
LUIGID_SCHEDULER = {"worker_disconnect_delay": 60, "retry_delay": 900, "prune_on_get_work": "false"}


def sizes(text: str) -> list[int]:
    """``1000,10_000`` as [1000, 10000]: the option's type."""
    try:
        found = sorted({int(s.strip().replace("_", "")) for s in text.split(",") if s.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of task counts: {text!r}") from None
    if not found or found[0] < 1:
        raise argparse.ArgumentTypeError(f"graphs of 1 task or more, not {text!r}")
    return found


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--scaling-sizes",
        type=sizes,
        help="tasks of gokart-core's fan-ins and chains [1000,10000,100000; quick: 50,100]",
    )
    p.add_argument(
        "--scaling-baseline-sizes",
        type=sizes,
        help="tasks of the graphs of bare luigi, gokart 1.12.2 and gokart-core on luigi's "
        "scheduler [1000,2000,4000; quick: 20,40,80]",
    )
    p.add_argument(
        "--scaling-luigid-sizes",
        type=sizes,
        help="tasks of gokart-core's graphs built through gokart-luigid "
        "[1000,10000,100000; quick: 50,100]",
    )
    p.add_argument(
        "--scaling-luigid-processes",
        type=int,
        default=3,
        help="worker processes sharing each graph through gokart-luigid [%(default)s]",
    )
    p.add_argument(
        "--scaling-shapes", default=",".join(SHAPES), help="graphs to build [%(default)s]"
    )
    p.add_argument(
        "--scaling-columns",
        default=",".join(k for k, _, _, _ in COLUMNS),
        help="what to build: core (gokart-core), core-luigi (with GOKART_SCHEDULER=luigi), "
        "gokart (1.12.2, skipped with --only-gokart-core), luigi (bare), core-luigid "
        "(gokart-core through gokart-luigid) [%(default)s]",
    )
    p.add_argument(
        "--scaling-workers", type=int, default=2, help="workers compared with 1 [%(default)s]"
    )
    p.add_argument(
        "--scaling-workers-max-size",
        type=int,
        help="largest graph built with --scaling-workers (a forked process per task) "
        "[10000; quick: 50]",
    )
    p.add_argument(
        "--scaling-single-from",
        type=int,
        default=10_000,
        help="graphs of this many tasks or more run once, the others --repeats times [%(default)s]",
    )
    p.add_argument(
        "--scaling-recursion-limit",
        type=int,
        default=100_000,
        help="recursion limit of the chain builds [%(default)s]",
    )
    p.add_argument(
        "--scaling-timeout", type=float, default=3600.0, help="seconds per build [%(default)s]"
    )


def set_defaults(args: argparse.Namespace) -> None:
    quick = args.quick
    if args.scaling_sizes is None:
        args.scaling_sizes = [50, 100] if quick else [1_000, 10_000, 100_000]
    if args.scaling_baseline_sizes is None:
        args.scaling_baseline_sizes = [20, 40, 80] if quick else [1_000, 2_000, 4_000]
    if args.scaling_luigid_sizes is None:
        args.scaling_luigid_sizes = [50, 100] if quick else [1_000, 10_000, 100_000]
    if args.scaling_workers_max_size is None:
        args.scaling_workers_max_size = 50 if quick else 10_000
    args.scaling_shapes = [s for s in args.scaling_shapes.split(",") if s]
    args.scaling_columns = [c for c in args.scaling_columns.split(",") if c]


def check(args: argparse.Namespace) -> str | None:
    """What is wrong with the scaling options, or None."""
    for shape in args.scaling_shapes:
        if shape not in SHAPES:
            return f"unknown --scaling-shapes {shape!r}; known: {', '.join(SHAPES)}"
    known = [k for k, _, _, _ in COLUMNS]
    for column in args.scaling_columns:
        if column not in known:
            return f"unknown --scaling-columns {column!r}; known: {', '.join(known)}"
    if args.scaling_workers < 2:
        return "--scaling-workers needs 2 workers or more"
    if args.scaling_luigid_processes < 1:
        return "--scaling-luigid-processes needs 1 process or more"
    return None


def plan(args: argparse.Namespace, columns: list[str]) -> list[tuple[int, str, str, int, int]]:
    """Every build of the run, in order: (repeat, shape, column, tasks, workers)."""
    of = {
        "sizes": args.scaling_sizes,
        "baseline": args.scaling_baseline_sizes,
        "luigid": args.scaling_luigid_sizes,
    }
    runs = {key: of[which] for key, _, _, which in COLUMNS if key in columns}
    out = []
    for r in range(args.repeats):
        for shape in _rotated(list(args.scaling_shapes), r):
            for n in sorted({n for ns in runs.values() for n in ns}):
                if r > 0 and n >= args.scaling_single_from:
                    continue
                for key in _rotated([k for k in columns if n in runs[k]], r):
                    for workers in _rotated([1, args.scaling_workers], r):
                        if workers == 1 or n <= args.scaling_workers_max_size:
                            out.append((r, shape, key, n, workers))
    return out


def run(args: argparse.Namespace, runner: Runner) -> dict[str, Any]:
    """Every build of :func:`plan`, each in a fresh process."""
    columns = [
        k
        for k, impl, _, _ in COLUMNS
        if k in args.scaling_columns and (impl != "gokart" or "gokart" in runner.pythons)
    ]
    workroot = runner.workroot / "scaling"
    workroot.mkdir(parents=True, exist_ok=True)
    # the same runner, with a build's own timeout and work folders of its own
    own = dataclasses.replace(runner, workroot=workroot, timeout=args.scaling_timeout)
    impls = {k: (impl, env) for k, impl, env, _ in COLUMNS}
    out: dict[str, Any] = {
        "sizes": args.scaling_sizes,
        "baseline_sizes": args.scaling_baseline_sizes,
        "luigid_sizes": args.scaling_luigid_sizes,
        "luigid_processes": args.scaling_luigid_processes,
        "shapes": args.scaling_shapes,
        "workers": args.scaling_workers,
        "workers_max_size": args.scaling_workers_max_size,
        "single_from": args.scaling_single_from,
        "repeats": args.repeats,
        "recursion_limit": args.scaling_recursion_limit,
        "timeout": args.scaling_timeout,
        "columns": columns,
        "samples": {},
    }
    others = Others()
    last = -1
    for r, shape, key, n, workers in plan(args, columns):
        if r != last:
            print(f"-- scaling repeat {r + 1}", file=sys.stderr, flush=True)
            last = r
        impl, env = impls[key]
        spec: dict[str, Any] = {"shape": shape, "n": n, "workers": workers}
        if shape == "chain":
            spec["recursion_limit"] = args.scaling_recursion_limit
        others.start()
        if key == "core-luigid":
            result = _through_luigid(own, spec, env, args.scaling_luigid_processes)
        else:
            result = own.run(impl, spec, module="benchmarks.scaling_worker", env=env)
        result.update(repeat=r, others=others.cores())
        want = SCHEDULERS.get(key, "luigi")
        if result.get("ok") and result.get("scheduler") != want:  # $GOKART_SCHEDULER ignored
            result.update(ok=False, error="scheduler", message=f"{result['scheduler']}, not {want}")
        cell = out["samples"].setdefault(shape, {}).setdefault(key, {})
        cell.setdefault(str(workers), {}).setdefault(str(n), []).append(result)
    return out


def _through_luigid(
    runner: Runner, spec: dict[str, Any], env: dict[str, str], processes: int
) -> dict[str, Any]:
    """One build through a fresh gokart-luigid: ``processes`` workers started together on the
    same root and work folder; the result is the slowest's, with every process's time."""
    from gokart_core.testing.luigid import start_luigid

    workdir = runner.new_workdir()
    try:
        luigid = start_luigid(workdir / "luigid", gokart=True, scheduler=LUIGID_SCHEDULER)
        try:
            shared = {**spec, "scheduler_url": luigid.url}
            with ThreadPoolExecutor(processes) as pool:
                futures = [
                    pool.submit(
                        runner.run,
                        "core",
                        shared,
                        workdir=workdir,
                        module="benchmarks.scaling_worker",
                        env=env,
                        quiet=True,
                    )
                    for _ in range(processes)
                ]
                results = [f.result() for f in futures]
        finally:
            luigid.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    what = " ".join(f"{k}={v}" for k, v in spec.items())
    failed = next((r for r in results if not r.get("ok")), None)
    if failed is not None:
        runner.note(f"[gokart-luigid x{processes}] {what}: {failed.get('error')}")
        return failed
    slowest = max(results, key=lambda r: float(r["seconds"]))
    runner.note(f"[gokart-luigid x{processes}] {what}: {slowest['seconds']:.3f} s")
    return {
        **slowest,
        "processes": processes,
        "process_seconds": [r["seconds"] for r in results],
        "peak_rss": max(r["peak_rss"] for r in results),
    }
