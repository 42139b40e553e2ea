"""The ``parallel`` scenario (issue 12): luigi's ``workers=N`` on a CPU-bound fan-in.

``--parallel-leaves`` leaves (32), each doing the same pure-Python loop (:func:`spin`, about
``--parallel-work`` seconds: 0.3), and a root that loads them all, built with ``workers=1`` and
with ``workers=--parallel-workers`` (2) by gokart-core, gokart 1.12.2 and bare luigi, on a local
workspace and on ``s3://`` (a moto server of the runner's on 127.0.0.1). luigi forks one child per
task when ``workers > 1``. The runner calibrates the loop once, in its own interpreter, and passes
the iteration count to every process: every implementation does identical work (the root's
checksum of the leaves' results must be the same in every run). Bare luigi writes pickles through
``luigi.LocalTarget`` locally and through s3fs (``fsspec.filesystem("s3")``, whose instance cache
makes a new filesystem in each forked child) on S3.

Here: the runner's side (calibration, the moto server, the runs, the report), in the
benchmarks' interpreter. One build per process: :mod:`benchmarks.parallel_worker`.
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import TYPE_CHECKING, Any

from benchmarks.cpu_load import Others, own_cpu_s, process_cpu_s
from benchmarks.parallel_worker import BUCKET, calibrate

if TYPE_CHECKING:
    import argparse

    from benchmarks.cli import Runner

#: The table's rows: (key, implementation, what the worker's spec adds); luigi-s3fs on S3 only.
COLUMNS = (
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


def set_defaults(args: argparse.Namespace) -> None:
    quick = args.quick
    for name, full, small in (
        ("parallel_leaves", 32, 4),
        ("parallel_work", 0.3, 0.02),
        ("parallel_repeats", args.repeats + 2, args.repeats),
        ("parallel_quiet_wait", 15.0, 0.0),
    ):
        if getattr(args, name) is None:
            setattr(args, name, small if quick else full)
    args.parallel_workspaces = [w for w in args.parallel_workspaces.split(",") if w]


def run(args: argparse.Namespace, runner: Runner) -> dict[str, Any]:
    """Every implementation, workspace and worker count, interleaved in each repeat."""
    import importlib.metadata

    from benchmarks.s3_requests import AWS_ENV, MotoServer

    others = Others()
    quiet = args.parallel_quiet_wait
    others.wait_quiet(QUIET_BELOW, quiet)
    out: dict[str, Any] = {
        "leaves": args.parallel_leaves,
        "work_s": args.parallel_work,
        "workers": args.parallel_workers,
        "repeats": args.parallel_repeats,
        "quiet_wait": quiet,
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
            env = {**AWS_ENV, "AWS_ENDPOINT_URL": server.endpoint}
            others.helpers.append(server.process.pid)  # the server's CPU is the build's
        except (OSError, RuntimeError) as exc:
            out["errors"]["s3"] = f"{type(exc).__name__}: {exc}"
            workspaces.remove("s3")
            if server is not None:
                server.stop()
            server = None
    try:
        for r in range(args.parallel_repeats):
            print(f"-- parallel repeat {r + 1}", file=sys.stderr, flush=True)
            for fs in _rotated(workspaces, r):
                for key, impl, extra in _rotated(columns, r):
                    if key == "luigi-s3fs" and fs != "s3":
                        continue
                    for workers in _rotated([1, args.parallel_workers], r):
                        spec = {
                            "kind": "parallel",
                            "fs": fs,
                            "workers": workers,
                            "leaves": args.parallel_leaves,
                            "iterations": iterations,
                            "prefix": f"{key}-w{workers}-r{r}",
                            **extra,
                        }
                        if server is not None:
                            spec["endpoint"] = server.endpoint
                        waited = time.monotonic()
                        before = others.wait_quiet(QUIET_BELOW, quiet) if quiet > 0 else None
                        waited = time.monotonic() - waited
                        others.start()
                        cpu = own_cpu_s()
                        served = process_cpu_s(server.process.pid) if server else 0.0
                        result = runner.run(
                            impl,
                            spec,
                            module="benchmarks.parallel_worker",
                            env=env if fs == "s3" else None,
                        )
                        result.update(
                            repeat=r,
                            cpu_s=own_cpu_s() - cpu,  # the worker and its forked children
                            server_cpu_s=(
                                process_cpu_s(server.process.pid) - served
                                if server and fs == "s3"
                                else None
                            ),
                            others=others.cores(),
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
                        cell = out["samples"].setdefault(fs, {}).setdefault(key, {})
                        cell.setdefault(str(workers), []).append(result)
    finally:
        if server is not None:
            server.stop()
    return out


def _rotated(seq: list[Any], r: int) -> list[Any]:
    k = r % len(seq) if seq else 0
    return seq[k:] + seq[:k]


# ------------------------------------------------------------------------------- report


def _ok(results: list[dict[str, Any]], key: str = "seconds") -> list[float]:
    return [r[key] for r in results if r.get("ok") and r.get(key) is not None]


def _median(results: list[dict[str, Any]], key: str = "seconds") -> float | None:
    values = _ok(results, key)
    return statistics.median(values) if values else None


def _range(results: list[dict[str, Any]]) -> str:
    values = _ok(results)
    if not values:
        return "failed"
    if len(values) == 1:
        return f"{values[0]:.2f} s"
    return f"{statistics.median(values):.2f} s ({min(values):.2f} to {max(values):.2f})"


def speedups(cell: dict[str, list[dict[str, Any]]], workers: int) -> dict[str, Any] | None:
    """Speed-up of a cell: the median time with 1 worker over the median with ``workers``; the
    range of the repeats' own ratios (each repeat runs the pair back to back); and the best
    time over the best time (the builds the least disturbed by other processes)."""
    one, many = cell.get("1", []), cell.get(str(workers), [])
    t1, tn = _median(one), _median(many)
    if t1 is None or tn is None:
        return None
    pairs = {r["repeat"]: r["seconds"] for r in one if r.get("ok")}
    paired = [
        pairs[r["repeat"]] / r["seconds"] for r in many if r.get("ok") and r["repeat"] in pairs
    ]
    return {
        "x": t1 / tn,
        "min": min(paired, default=t1 / tn),
        "max": max(paired, default=t1 / tn),
        "best": min(_ok(one)) / min(_ok(many)),
    }


def _error(results: list[dict[str, Any]]) -> str:
    for r in results:
        if not r.get("ok"):
            return f"{r.get('error')}: {str(r.get('message', ''))[:140]}".replace("|", "/")
    return ""


def _all(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        r
        for per_fs in data["samples"].values()
        for cell in per_fs.values()
        for results in cell.values()
        for r in results
    ]


def render(data: dict[str, Any], targets: list[tuple[str, str, str]]) -> list[str]:
    """The Markdown section of the parallel scenario; appends its targets to ``targets``."""
    n, w, work_s = data["leaves"], data["workers"], data["work_s"]
    cal = data["calibration"]
    out = [f"## Parallel workers: a fan-in of {n:,} CPU-bound leaves, workers={w} against 1\n"]
    repeats = data["repeats"]
    out.append(
        f"{n:,} leaves, each running the same pure-Python loop (an integer LCG, "
        f"{cal['iterations']:,} iterations, {work_s:g} s: calibrated once by the runner at "
        f"{cal['ns_per_iteration']:.1f} ns per iteration, the fastest of 7 timings; one run at "
        f"full size then took {cal['check_s']:.3f} s of CPU{_ceiling(cal)}), and a root that loads "
        "them all, "
        f"built by `build(root, workers=...)` (`luigi.build` for bare luigi) in a fresh process "
        f"per build; with workers > 1, luigi forks a child per task. {repeats} "
        f"repeat{'s' if repeats != 1 else ''}, the implementations interleaved, each repeat "
        f"running workers=1 and workers={w} back to back.\n"
    )
    out.extend(
        [
            f"- *workers=1*, *workers={w}*: instance creation plus the build, median (min to max).",
            f"- *speed-up*: the median time with 1 worker over the median with {w} (range: the "
            "repeats' own ratios); *best*: the best time over the best time.",
            "- *vs bare luigi*: the speed-up over bare luigi's on the same workspace (1.00x or "
            "more: no slower).",
            "- *leaf CPU*: the median CPU time of one leaf's loop, measured in the leaf; *leaf "
            f"wall*: its wall time with {w} workers (above the CPU time when the leaf waited for "
            "a core).",
            f"- *others' CPU*: cores kept busy by the machine's other processes during the builds "
            f"with 1 / {w} workers (the machine's CPU time minus the benchmark's own and the moto "
            f"server's). Before each build the runner waits up to {data.get('quiet_wait', 0):g} s "
            f"for them to use less than {QUIET_BELOW} cores.",
            f"- *build CPU*: user + system CPU time of the build's process and its forked "
            f"children, with 1 / {w} workers (on S3, the moto server's in brackets: it runs on "
            f"the same CPUs); *more CPU per "
            f"forked task*: the difference over the {n + 1} tasks (the root is forked too), "
            "what each child costs beyond the work itself (less dependent on the machine's "
            "load than wall time). "
            f"{w} workers can speed the build up by at most {w} x (CPU with 1) / (CPU with {w}).",
            "- *forked*: leaves that ran in another process than the build's.",
            "- Local: `./resources` in the work folder. S3: one bucket of a moto server on "
            "127.0.0.1 started by the runner (it shares the CPUs). gokart-core writes through "
            "gokart-s3 (s3fs); gokart 1.12.2 through boto3 (its one `S3Client`, made in the "
            "parent, is used by the forked children too); bare luigi through luigi's own "
            "`luigi.contrib.s3.S3Target` (boto3) with one `S3Client` per process (a forked child "
            "makes its own from boto3's default session, whose service models the parent has "
            "loaded already). *bare luigi through s3fs*: the same tasks through "
            "`fsspec.filesystem('s3')`, whose instance cache makes a new filesystem, and with it "
            "a new aiobotocore session, in each forked child.",
            "",
        ]
    )
    results = [r for r in _all(data) if r.get("ok")]
    if data.get("server"):
        out.append(f"Server: {data['server']}.")
    busy = _ok(results, "others")
    if busy:
        waited = sum(r.get("waited", 0.0) for r in results)
        out.append(
            f"Others' CPU during the builds: median {statistics.median(busy):.2f} cores, "
            f"at most {max(busy):.2f} ({waited:.0f} s waited for quiet in all); 1-minute load "
            f"average at the start of the builds {min(_ok(results, 'load1')):.2f} to "
            f"{max(_ok(results, 'load1')):.2f}."
        )
    checks = {r["checksum"] for r in results}
    same = "yes" if len(checks) <= 1 else f"**no** ({len(checks)} different)"
    out.append(f"The leaves' checksum is the same in every build: {same}.\n")
    for fs, why in data.get("errors", {}).items():
        out.append(f"{WORKSPACES.get(fs, fs)}: not measured: {why}\n")
    out.append(
        f"| workspace | implementation | workers=1 | workers={w} | speed-up | best "
        f"| vs bare luigi | leaf CPU | leaf wall, workers={w} | build CPU, 1 / {w} "
        f"| more CPU per forked task | others' CPU | forked |"
    )
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for fs in ("local", "s3"):
        per = data["samples"].get(fs, {})
        base = speedups(per.get("luigi", {}), w)
        for key, _, _ in COLUMNS:
            if key not in per:
                continue
            cell = per[key]
            s = speedups(cell, w)
            one, many = cell.get("1", []), cell.get(str(w), [])
            fails = [r for rs in cell.values() for r in rs if not r.get("ok")]
            if s is None:
                out.append(
                    f"| {WORKSPACES[fs]} | {LABELS[key]} | failed: {_error(fails)} |||||||||||"
                )
                continue
            vs = "" if key.startswith("luigi") or base is None else f"{s['x'] / base['x']:.2f}x"
            o1, on = _median(one, "others"), _median(many, "others")
            others = "n/a" if o1 is None or on is None else f"{o1:.2f} / {on:.2f}"
            forked = _median(many, "forked")
            c1, cn = _median(one, "cpu_s"), _median(many, "cpu_s")
            cpu = "n/a" if c1 is None or cn is None else f"{c1:.1f} s / {cn:.1f} s"
            s1, sn = _median(one, "server_cpu_s"), _median(many, "server_cpu_s")
            if s1 is not None and sn is not None:
                cpu += f" (server {s1:.1f} s / {sn:.1f} s)"
            extra = "" if c1 is None or cn is None or not forked else _ms((cn - c1) / (n + 1))
            note = f" ({len(fails)} failed: {_error(fails)})" if fails else ""
            out.append(
                f"| {WORKSPACES[fs]} | {LABELS[key]} | {_range(one)} | {_range(many)} "
                f"| **{s['x']:.2f}x** ({s['min']:.2f} to {s['max']:.2f}) | {s['best']:.2f}x "
                f"| {vs} | {_fmt(_median(one, 'leaf_cpu_s'))} "
                f"| {_fmt(_median(many, 'leaf_wall_s'))} "
                f"| {cpu} | {extra} | {others} | {'' if forked is None else int(forked)}{note} |"
            )
    out.append("")
    verdicts = []
    for fs in ("local", "s3"):
        per = data["samples"].get(fs)
        name = f"workers={w} ≥ 1.7x faster than 1 worker, {n} CPU-bound leaves, {fs} (issue 12)"
        vs_name = f"workers={w} speed-up, {fs}, no lower than bare luigi's (issue 12)"
        if not per:
            why = data.get("errors", {}).get(fs, "not run")
            targets.extend([(name, why[:80], "not measured"), (vs_name, why[:80], "not measured")])
            continue
        core, luigi = speedups(per.get("core", {}), w), speedups(per.get("luigi", {}), w)
        met = None if core is None else core["x"] >= 1.7
        targets.append((name, "failed" if core is None else f"{core['x']:.2f}x", _met(met)))
        if core is None or luigi is None:
            failed = "gokart-core" if core is None else "bare luigi"
            targets.append((vs_name, f"{failed} failed", _met(None if luigi is None else False)))
            verdicts.append(f"{fs}: {failed} failed, **not met**")
            continue
        rel = core["x"] / luigi["x"]
        status = _met(rel >= 1.0)
        if rel < 1.0 and core["x"] >= luigi["min"]:
            status = (
                f"**no**, within bare luigi's own spread "
                f"({luigi['min']:.2f}x to {luigi['max']:.2f}x)"
            )
        targets.append(
            (vs_name, f"{core['x']:.2f}x vs {luigi['x']:.2f}x ({rel:.2f} of it)", status)
        )
        verdicts.append(
            f"{fs}: gokart-core {core['x']:.2f}x ({'met' if met else '**not met**'}), "
            f"bare luigi {luigi['x']:.2f}x, gokart-core's {rel:.2f} of it "
            f"({'met' if rel >= 1.0 else '**not met**'})"
        )
    if verdicts:
        out.append(
            "Verdict (targets: ≥ 1.7x, and no lower than bare luigi's speed-up): "
            + "; ".join(verdicts)
            + ".\n"
        )
    return out


def _ceiling(cal: dict[str, Any]) -> str:
    """The machine's own ceiling for 2 workers, when the calibration measured it."""
    if not cal.get("two_wall_s"):
        return ""
    x = 2 * cal["one_wall_s"] / cal["two_wall_s"]
    return (
        f"; two forked processes running it at once took {cal['two_wall_s']:.3f} s against "
        f"{cal['one_wall_s']:.3f} s for one: a ceiling of {x:.2f}x for 2 workers on this machine "
        "at that moment"
    )


def _ms(seconds: float) -> str:
    return f"{round(seconds * 1e3)} ms"  # round(): no "-0 ms"


def _fmt(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds:.3f} s"


def _met(ok: bool | None) -> str:
    return "not measured" if ok is None else "yes" if ok else "**no**"
