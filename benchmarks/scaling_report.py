"""The report of the ``scaling`` scenario (:mod:`benchmarks.scaling`): the fit of the measured
curves (:func:`fit`, ``t(n) = a*n + b*n^2``), its Markdown section of ``results.md`` and its
rows of the targets table."""

from __future__ import annotations

import statistics
from typing import Any

from benchmarks.scaling import LABELS, SHAPE_LABELS
from benchmarks.stats import fmt_mb, fmt_x, met
from benchmarks.stats import fmt_s as _fmt_s

#: gokart-core's per-task time at the second size over the first's, at most (issue 14).
FLAT = 1.3
#: gokart-core's fan-in at the second size, at least this much faster than bare luigi's.
FASTER = 10.0
#: The columns of gokart-core's own scheduler: every row measured, none fitted.
OWN = ("core", "core-luigid")


def fit(points: list[tuple[int, float]]) -> tuple[float, float] | None:
    """``(a, b)`` of the least-squares fit ``t = a*n + b*n^2`` of the ``(n, t)`` points, both
    kept non-negative (a negative one is set to 0 and the other fitted alone); None with fewer
    than two sizes."""
    if len({n for n, _ in points}) < 2:
        return None
    scale = float(max(n for n, _ in points))
    xs = [(n / scale, t) for n, t in points]
    s2, s3, s4 = (sum(x**k for x, _ in xs) for k in (2, 3, 4))
    t1, t2 = sum(x * t for x, t in xs), sum(x * x * t for x, t in xs)
    det = s2 * s4 - s3 * s3
    a, b = (t1 * s4 - t2 * s3) / det, (s2 * t2 - s3 * t1) / det
    if a < 0 or b < 0:  # the better of the two one-term fits
        candidates = [(max(t1 / s2, 0.0), 0.0), (0.0, max(t2 / s4, 0.0))]
        a, b = min(candidates, key=lambda c: sum((t - c[0] * x - c[1] * x * x) ** 2 for x, t in xs))
    return a / scale, b / scale**2


def fmt_s(seconds: float | None) -> str:
    """:func:`benchmarks.stats.fmt_s`, with thousands separated from 1,000 s."""
    return _fmt_s(seconds) if seconds is None or seconds < 1000 else f"{seconds:,.0f} s"


def _ok(results: list[dict[str, Any]], key: str = "seconds") -> list[float]:
    return [r[key] for r in results if r.get("ok") and r.get(key) is not None]


def _median(results: list[dict[str, Any]], key: str = "seconds") -> float | None:
    values = _ok(results, key)
    return statistics.median(values) if values else None


def _error(results: list[dict[str, Any]]) -> str:
    for r in results:
        if not r.get("ok"):
            return f"{r.get('error')}: {str(r.get('message', ''))[:120]}".replace("|", "/")
    return ""


class _Curve:
    """One column's builds of one graph and worker count: measured, else from the fit (when
    ``fitted``)."""

    def __init__(self, by_n: dict[str, list[dict[str, Any]]], fitted: bool = True) -> None:
        self.by_n = {int(n): rs for n, rs in by_n.items()}
        points = [(n, m) for n, rs in self.by_n.items() if (m := _median(rs)) is not None]
        self.measured = sorted(n for n, _ in points)
        self.fit = fit(points) if fitted else None
        self.points = dict(points)

    def seconds(self, n: int) -> tuple[float | None, str]:
        """(time, how: ``measured``, ``extrapolated``, ``interpolated`` or ``""``)."""
        if n in self.points:
            return self.points[n], "measured"
        if n in self.by_n or self.fit is None:
            return None, ""
        a, b = self.fit
        how = "extrapolated" if n > self.measured[-1] or n < self.measured[0] else "interpolated"
        return a * n + b * n * n, how

    def cell(self, n: int) -> str:
        t, how = self.seconds(n)
        if t is None:
            results = self.by_n.get(n)
            return f"failed: {_error(results)}" if results else ""
        if how != "measured":
            return f"*{fmt_s(t / n)} ({fmt_s(t)}), {how}*"
        values = _ok(self.by_n[n])
        spread = f"; {fmt_s(min(values))} to {fmt_s(max(values))}" if len(values) > 1 else ""
        return f"{fmt_s(t / n)} ({fmt_s(t)}{spread})"

    def residual(self) -> float:
        """The largest relative distance of a measured median from the fit."""
        a, b = self.fit or (0.0, 0.0)
        return max((abs(a * n + b * n * n - t) / t for n, t in self.points.items() if t), default=0)


def _ns(seconds: float) -> str:
    ns = seconds * 1e9
    return f"{ns:,.0f} ns" if ns >= 100 else f"{ns:.2g} ns"


def _ratio(num: tuple[float | None, str], den: tuple[float | None, str]) -> str:
    if num[0] is None or den[0] is None or den[0] <= 0:
        return ""
    fitted = [h for h in (num[1], den[1]) if h != "measured"]
    return fmt_x(num[0] / den[0]) + (f" ({fitted[0]})" if fitted else "")


def _forks(data: dict[str, Any]) -> str:
    """What the largest fan-in built with workers > 1 says of the larger ones not built."""
    w, top = data["workers"], data["workers_max_size"]
    larger = [n for n in data["sizes"] if n > top]
    by_n = data["samples"].get("fanin", {}).get("core", {}).get(str(w), {})
    built = [(int(n), m) for n, rs in by_n.items() if (m := _median(rs)) is not None]
    if not larger or not built:
        return ""
    n, t = max(built)
    return (
        f" (gokart-core's {n:,}-task fan-in took {fmt_s(t / n)} per task with workers={w}: at "
        f"that rate, {larger[-1]:,} tasks would take {fmt_s(t / n * larger[-1])} or more, "
        "so they are not built)"
    )


def _luigid(data: dict[str, Any]) -> str:
    luigid = data.get("luigid_sizes")
    if not luigid or "core-luigid" not in data["columns"]:
        return ""
    return (
        f" Through gokart-luigid (a fresh one per build, luigi's `[scheduler]` defaults), "
        f"{data['luigid_processes']} worker processes start together on the same root and work "
        f"folder at {', '.join(f'{n:,}' for n in luigid)} tasks, each with the row's workers; "
        "the time is the slowest process's."
    )


def render(data: dict[str, Any], targets: list[tuple[str, str, str]]) -> list[str]:
    """The Markdown section of the scaling scenario; appends its targets to ``targets``."""
    sizes, base, w = data["sizes"], data["baseline_sizes"], data["workers"]
    columns, samples = data["columns"], data["samples"]
    every = sorted(set(sizes) | set(base))
    out = [
        f"## Scaling: fan-in and chain of {sizes[0]:,} to {sizes[-1]:,} tasks, gokart-core's "
        "scheduler against luigi's (issue 14)\n"
    ]
    base_text = ", ".join(f"{n:,}" for n in base)
    out.append(
        "A fan-in (*n* leaves, each dumping its number to a `.pkl`, and a root that loads them "
        "all) and a chain (*n* tasks, each loading the one before), on `./resources` in the "
        "work folder, each build in a fresh process. Time: instance creation plus "
        f"`build(root, workers=...)` (`luigi.build([root], local_scheduler=True, workers=...)` "
        "for bare luigi, whose tasks write the same pickles through `luigi.LocalTarget`); per "
        f"task: that time over *n*. gokart-core schedules with its own scheduler "
        f"(`gokart_core.runner.scheduler.Scheduler`) at {', '.join(f'{n:,}' for n in sizes)} "
        f"tasks; with `GOKART_SCHEDULER=luigi` (luigi's scheduler), bare luigi and gokart "
        f"1.12.2 are measured at {base_text} tasks. Graphs of {data['single_from']:,} tasks or "
        f"more are built once, the smaller ones {data['repeats']} time(s). workers={w} forks a "
        f"process per task and runs up to {data['workers_max_size']:,} tasks{_forks(data)}. "
        f"Chains run at a recursion limit of {data['recursion_limit']:,}.{_luigid(data)}\n"
    )
    out.extend(
        [
            "- Cells: per task (the build's time; min to max over the repeats).",
            f"- *extrapolated* (italic): not measured, from the least-squares fit t(n) = a·n + "
            f"b·n² of the medians measured at {base_text} tasks (a, b ≥ 0; below; *interpolated* "
            "between them): luigi's scheduler does work per call that grows with the graph, so "
            "its time grows as n². gokart-core's own rows are all measured.",
            "- *÷ gokart-core*: the time of luigi's scheduler (gokart-core with "
            "`GOKART_SCHEDULER=luigi`) and of bare luigi over gokart-core's, same graph and "
            "workers.",
            "",
        ]
    )
    curves = {
        (shape, key, workers): _Curve(
            samples.get(shape, {}).get(key, {}).get(str(workers), {}), fitted=key not in OWN
        )
        for shape in data["shapes"]
        for key in LABELS  # empty where the column did not run
        for workers in (1, w)
    }
    out.append(
        "| graph | workers | tasks | "
        + " | ".join(LABELS[k] for k in columns)
        + " | gokart-core peak RSS | luigi's scheduler ÷ gokart-core | bare luigi ÷ gokart-core |"
    )
    out.append("|---" * (len(columns) + 6) + "|")
    for shape in data["shapes"]:
        for workers in (1, w):
            for n in every:
                cells = [curves[shape, k, workers].cell(n) for k in columns]
                for key, its in (("core", sizes), ("core-luigid", data.get("luigid_sizes", []))):
                    if workers > 1 and n > data["workers_max_size"] and n in its and key in columns:
                        cells[columns.index(key)] = (
                            "not measured (over `--scaling-workers-max-size`)"
                        )
                if not any(cells):
                    continue
                core = curves[shape, "core", workers]
                rss = _median(core.by_n.get(n, []), "peak_rss")
                vs = [
                    _ratio(curves[shape, k, workers].seconds(n), core.seconds(n))
                    if k in columns
                    else ""
                    for k in ("core-luigi", "luigi")
                ]
                out.append(
                    f"| {SHAPE_LABELS[shape]} | {workers} | {n:,} | "
                    + " | ".join(cells)
                    + f" | {fmt_mb(rss) if rss else ''} | {vs[0]} | {vs[1]} |"
                )
    out.append("")
    fits = [(k, c) for k, c in curves.items() if c.fit is not None]
    if fits:
        out.append("The fits, t(n) = a·n + b·n²:\n")
        out.append(
            "| graph | workers | implementation | a (per task) | b (per task²) | measured at "
            "| b·n² at the largest | largest distance of a median from the fit |"
        )
        out.append("|---|---|---|---|---|---|---|---|")
    for (shape, key, workers), curve in fits:
        a, b = curve.fit or (0.0, 0.0)
        top = curve.measured[-1]
        share = b * top * top / (a * top + b * top * top) if a or b else 0.0
        out.append(
            f"| {SHAPE_LABELS[shape]} | {workers} | {LABELS[key]} | {fmt_s(a)} "
            f"| {_ns(b)} | {', '.join(f'{n:,}' for n in curve.measured)} "
            f"| {100 * share:.0f}% of the fit at {top:,} | {100 * curve.residual():.1f}% |"
        )
    if fits:
        out.append("")
    every_result = [
        r
        for per in samples.values()
        for cell in per.values()
        for by_n in cell.values()
        for rs in by_n.values()
        for r in rs
    ]
    busy = _ok(every_result, "others")
    if busy:
        out.append(
            f"Others' CPU during the builds (the machine's other processes): median "
            f"{statistics.median(busy):.2f} cores, at most {max(busy):.2f}.\n"
        )
    _targets(data, curves, targets)
    return out


def _targets(
    data: dict[str, Any], curves: dict[tuple[str, str, int], _Curve], targets: list[Any]
) -> None:
    sizes = data["sizes"]
    small, mid, big = sizes[0], sizes[min(1, len(sizes) - 1)], sizes[-1]
    fanin = curves.get(("fanin", "core", 1))
    chain = curves.get(("chain", "core", 1))
    for curve, shape, prefix in ((fanin, "fan-in", ""), (chain, "chain", "(info) ")):
        name = (
            f"{prefix}gokart-core's per-task time at {mid:,} tasks ≤ {FLAT}x its per-task time "
            f"at {small:,} ({shape}, workers=1; issue 14)"
        )
        t0, t1 = (curve.points.get(small), curve.points.get(mid)) if curve else (None, None)
        if t0 is None or t1 is None or mid == small:
            targets.append((name, "not measured", met(None)))
            continue
        x = (t1 / mid) / (t0 / small)
        value = f"{fmt_s(t1 / mid)} vs {fmt_s(t0 / small)} ({x:.2f}x)"
        targets.append((name, value, "info" if prefix else met(x <= FLAT)))
    for key, workers in (
        ("core", data["workers"]),
        ("core-luigid", 1),
        ("core-luigid", data["workers"]),
    ):
        curve = curves.get(("fanin", key, workers))
        t0, t1 = (curve.points.get(small), curve.points.get(mid)) if curve else (None, None)
        if t0 is None or t1 is None or mid == small:
            continue
        x = (t1 / mid) / (t0 / small)
        targets.append(
            (
                f"(info) {LABELS[key]}: per-task time at {mid:,} tasks over {small:,} "
                f"(fan-in, workers={workers})",
                f"{fmt_s(t1 / mid)} vs {fmt_s(t0 / small)} ({x:.2f}x)",
                "info",
            )
        )
    luigi = curves.get(("fanin", "luigi", 1))
    t_core = fanin.points.get(mid) if fanin else None
    t_luigi, how = luigi.seconds(mid) if luigi else (None, "")
    fitted = ""
    if luigi is not None and how in ("extrapolated", "interpolated"):
        fitted = f" {how} from {', '.join(f'{n:,}' for n in luigi.measured)}"
    # The name stays the same whatever was measured: a later partial run's row replaces it.
    name = (
        f"gokart-core's {mid:,}-task fan-in ≥ {FASTER:g}x faster than bare luigi's "
        "(workers=1; issue 14)"
    )
    if t_core is None or t_luigi is None:
        targets.append((name, "not measured", met(None)))
    else:
        x = t_luigi / t_core
        value = f"{fmt_s(t_core)} vs {fmt_s(t_luigi)}{fitted} ({x:.1f}x)"
        targets.append((name, value, met(x >= FASTER)))
    name = f"a {big:,}-task fan-in builds (gokart-core, workers=1; issue 14)"
    t_big = fanin.points.get(big) if fanin else None
    if t_big is not None:
        targets.append((name, f"{fmt_s(t_big)}, {fmt_s(t_big / big)} per task", met(True)))
    else:
        results = fanin.by_n.get(big, []) if fanin else []
        targets.append(
            (
                name,
                f"failed: {_error(results)}" if results else "not measured",
                met(False if results else None),
            )
        )
