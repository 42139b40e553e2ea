"""``results.md``: the title, the machine and versions, each scenario's section in a fixed order
(DataFrames: :mod:`benchmarks.report_frame`; task graphs, unique_id, the deep chain and the lock:
:mod:`benchmarks.report_graphs`; S3 requests: :mod:`benchmarks.s3_report`; parallel workers:
:mod:`benchmarks.parallel_report`; scaling: :mod:`benchmarks.scaling_report`), and last the
table of the targets that the sections set."""

from __future__ import annotations

import argparse
from typing import Any

from benchmarks import (
    parallel_report,
    report_durable,
    report_frame,
    report_graphs,
    report_page,
    s3_report,
    scaling_report,
)
from benchmarks.runner import DROPPED_ENV


def render(
    args: argparse.Namespace,
    data: dict[str, Any],
    info: dict[str, dict[str, Any]],
    machine: dict[str, Any],
    command: str,
    elapsed: float,
) -> str:
    out: list[str] = []
    w = out.append
    w("# Benchmarks: gokart-core against raw pandas, bare luigi and gokart 1.12.2\n")
    w(
        "Written by `python -m benchmarks` (issue 8). Every number is a median over repeats, each "
        "repeat a fresh process; min to max in brackets. Ratios compare medians of this one run. "
        "gokart runs in its own virtualenv, never in a process with gokart-core.\n"
    )
    w("## Machine and versions\n")
    w(f"- command: `{command}` ({elapsed / 60:.1f} min)")
    mem = machine["memory"]
    w(
        f"- machine: {machine['nproc']} CPUs, {machine['cpu']}, "
        f"{mem / 2**30:.1f} GiB memory, Linux {machine['kernel']}"
        if mem
        else f"- machine: {machine['nproc']} CPUs, {machine['cpu']}"
    )
    w(f"- work folder: {machine['workdir']} ({machine['workdir_fs']}); date {machine['date']}")
    w(f"- gokart-core tree: `{machine['commit']}`")
    w(
        f"- sizes: DataFrame {args.rows:,} rows x 8 columns (3 float, 2 int, 1 bool, 2 string); "
        f"chain {args.chain:,}; fan-in {args.fanin:,} leaves; unique_id {args.uid:,} instances; "
        f"deep chain {args.deep:,}; locked fan-in {args.lock:,} tasks; repeats {args.repeats} "
        f"(DataFrames {args.frame_repeats}, unique_id {args.uid_repeats})"
    )
    for env_name, i in info.items():
        v = i.get("versions", {})
        names = [f"{k} {val}" for k, val in v.items() if val]
        blas = ", ".join(
            f"{b.get('internal_api')} {b.get('version')} ({b.get('architecture')})"
            for b in i.get("blas", [])
        )
        extra = f"; BLAS: {blas}" if blas else ""
        w(f"- {env_name}: Python {i.get('python')}, {', '.join(names)}{extra}")
    if data.get("redis"):
        w(f"- lock scenario: {data['redis']}")
    w(
        f"- benchmark processes run without {', '.join(DROPPED_ENV)} (they slow a current "
        f"numpy where set); `--chain-recursion-limit` {args.chain_recursion_limit} for the "
        "chain build only; the deep chain runs at Python's default limit\n"
    )

    # the sections in the order of results.md; each appends its rows of the targets table
    samples = data["samples"]
    targets: list[tuple[str, str, str]] = []
    if "frame" in args.scenarios:
        out.extend(report_frame.render(args, samples, targets))
    out.extend(report_graphs.graphs(args, samples, targets))
    out.extend(report_graphs.unique_ids(args, samples, targets))
    out.extend(report_graphs.deep_chain(args, data["deep"], targets))
    out.extend(report_graphs.lock(args, samples, targets))
    out.extend(report_durable.render(args, samples, targets))
    if "s3" in data:
        out.extend(s3_report.render(data["s3"], targets))
    if "parallel" in data:
        out.extend(parallel_report.render(data["parallel"], targets))
    if "scaling" in data:
        out.extend(scaling_report.render(data["scaling"], targets))
    if "report" in data:
        out.extend(report_page.render(data["report"], targets))
    if targets:
        out.append(
            "## Targets (issue 8; issue 3's 1.05x; issue 4's lock; issue 12's workers; "
            "issue 14's scaling; issue 18's durable writes)\n"
        )
        out.append("| target | measured | met |")
        out.append("|---|---|---|")
        for name, value, met in targets:
            out.append(f"| {name} | {value} | {met} |")
        out.append("")
    return "\n".join(out) + "\n"
