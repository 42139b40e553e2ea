"""The report of the ``parallel`` scenario (:mod:`benchmarks.parallel`): its Markdown section of
``results.md`` and its rows of the targets table."""

from __future__ import annotations

import statistics
from typing import Any

from benchmarks.parallel import COLUMNS, LABELS, QUIET_BELOW, QUIET_MAX, WORKSPACES
from benchmarks.stats import met as _met


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


def _counted(samples: dict[str, Any]) -> dict[str, Any]:
    """The samples without the superseded attempts of a pair."""
    return {
        fs: {
            key: {w: [r for r in rs if not r.get("superseded")] for w, rs in cell.items()}
            for key, cell in per_fs.items()
        }
        for fs, per_fs in samples.items()
    }


def render(data: dict[str, Any], targets: list[tuple[str, str, str]]) -> list[str]:
    """The Markdown section of the parallel scenario; appends its targets to ``targets``."""
    superseded = sum(1 for r in _all(data) if r.get("superseded"))
    data = {**data, "samples": _counted(data["samples"])}
    n, w, work_s = data["leaves"], data["workers"], data["work_s"]
    cal = data["calibration"]
    out = [f"## Parallel workers: a fan-in of {n:,} CPU-bound leaves, workers={w} against 1\n"]
    repeats = data["repeats"]
    out.append(
        f"{n:,} leaves, each running the same pure-Python loop (an integer LCG, "
        f"{cal['iterations']:,} iterations, {work_s:g} s: calibrated once by the runner at "
        f"{cal['ns_per_iteration']:.1f} ns per iteration, the fastest of 9 timings; one run at "
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
    out.append(
        f"Pairs of builds during which the others used more than {QUIET_MAX} cores ran again, "
        f"up to {data.get('retries', 0)} more time(s); the quietest attempt of each pair counts "
        f"({superseded // 2} pairs set aside)."
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
