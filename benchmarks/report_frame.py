"""The DataFrame section of ``results.md``: dump + load time, first round trip, peak and extra
RSS and file size of each format and implementation against raw pandas in the same interpreter,
and the targets of issues 3 and 8 on time (≤ 1.05x) and memory (≤ 1.10x)."""

from __future__ import annotations

import argparse
from typing import Any

from benchmarks.runner import LABELS
from benchmarks.stats import first_error, fmt_mb, fmt_range, fmt_s, fmt_x, med, met, ratio, summary


def render(
    args: argparse.Namespace,
    samples: dict[str, dict[str, list[dict[str, Any]]]],
    targets: list[tuple[str, str, str]],
) -> list[str]:
    """The section's lines; appends gokart-core's targets of each format to ``targets``."""
    out: list[str] = []
    w = out.append
    w(f"## DataFrame dump + load ({args.rows:,} x 8)\n")
    w(
        f"Each implementation dumps the frame to a file and loads it back, "
        f"{args.frame_cycles} times in one process, and more (up to 15) while the round "
        f"trips take less than {args.frame_seconds:g} s in all (the file removed before "
        "each dump); "
        "*dump + load* is the median round trip (range over processes), *first* the first "
        "round trip of a process, which pays one-time costs such as pyarrow's lazy "
        "initialisation. "
        "Raw pandas: `to_pickle`/`read_pickle`, `to_csv(index=False)`/`read_csv`, "
        "`to_parquet(index=False)`/`read_parquet`, `to_feather`/`read_feather`. gokart-core: "
        "`gokart_core.make_target(path).dump(df)` / `.load()`; gokart: "
        "`gokart.target.make_target(path)`. Peak RSS is the process's high-water mark "
        "during dump + load (reset just before; the frame itself is in it); *extra* is that "
        "peak minus the RSS before the dump. Ratios are against raw pandas in the same "
        "interpreter.\n"
    )
    w(
        "| format | implementation | dump + load | dump | load | vs raw | first | vs raw "
        "| peak RSS | vs raw | extra RSS | vs raw | file |"
    )
    w("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for fmt in args.formats:
        per = samples.get(f"frame:{fmt}", {})
        for impl in ("pandas", "core", "pandas-gk", "gokart"):
            if impl not in per:
                continue
            base = "pandas-gk" if impl in ("gokart", "pandas-gk") else "pandas"
            s = summary(per[impl])
            b = summary(per.get(base, []))
            peak, bpeak = summary(per[impl], "peak_rss"), summary(per.get(base, []), "peak_rss")
            extra = summary(per[impl], "extra_rss")
            bextra = summary(per.get(base, []), "extra_rss")
            size = summary(per[impl], "file_bytes")
            first = summary(per[impl], "first_s")
            bfirst = summary(per.get(base, []), "first_s")
            is_base = impl == base
            if s is None:
                w(f"| {fmt} | {LABELS[impl]} | failed: {first_error(per[impl])} |||||||||||")
                continue
            w(
                f"| {fmt} | {LABELS[impl]} | {fmt_range(s)} "
                f"| {fmt_s(med(summary(per[impl], 'dump_s')))} "
                f"| {fmt_s(med(summary(per[impl], 'load_s')))} "
                f"| {'' if is_base else fmt_x(ratio(med(s), med(b)))} "
                f"| {fmt_s(med(first))} "
                f"| {'' if is_base else fmt_x(ratio(med(first), med(bfirst)))} "
                f"| {fmt_mb(med(peak))} "
                f"| {'' if is_base else fmt_x(ratio(med(peak), med(bpeak)))} "
                f"| {fmt_mb(med(extra))} "
                f"| {'' if is_base else fmt_x(ratio(med(extra), med(bextra)))} "
                f"| {fmt_mb(med(size))} |"
            )
            if impl == "core":
                t = ratio(med(s), med(b))
                m = ratio(med(peak), med(bpeak))
                targets.append(
                    (
                        f"{fmt} dump + load time ≤ 1.05x raw pandas (issues 3, 8)",
                        fmt_x(t),
                        met(t is not None and t <= 1.05),
                    )
                )
                before = med(summary(per[impl], "rss_before"))
                bbefore = med(summary(per.get(base, []), "rss_before"))
                more = None if before is None or bbefore is None else before - bbefore
                targets.append(
                    (
                        f"{fmt} peak RSS ≤ 1.10x raw pandas",
                        f"{fmt_x(m)}; extra over the frame "
                        f"{fmt_x(ratio(med(extra), med(bextra)))}; "
                        f"{fmt_mb(more)} more before the dump (imports)",
                        met(m is not None and m <= 1.10),
                    )
                )
    w("")
    return out
