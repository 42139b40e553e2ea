"""The durable-writes section of ``results.md`` (issue 18): the fan-in built with local writes
fsynced (file before the rename, folder after it) against the same build without, on the disk
the benchmark's work folders are on. Durable writes are on by default only if they cost less
than 10% here on a real disk (not tmpfs)."""

from __future__ import annotations

import argparse

from benchmarks.stats import first_error, fmt_range, fmt_s, fmt_x, med, ratio, summary

Samples = dict[str, dict[str, list[dict[str, object]]]]
Targets = list[tuple[str, str, str]]

#: The most that durable writes may cost for them to be on by default.
DEFAULT_ON_BELOW = 1.10


def render(args: argparse.Namespace, samples: Samples, targets: Targets) -> list[str]:
    plain = samples.get("fanin", {}).get("core", [])
    durable = samples.get("fanin_durable", {}).get("core", [])
    if not durable:
        return []
    ntasks = args.fanin + 1
    fstype = str(durable[0].get("fstype", "unknown"))
    out: list[str] = []
    w = out.append
    w(f"## Durable local writes: the fan-in of {args.fanin:,} leaves\n")
    w(
        "gokart-core, fan-in full build as in *Task graphs*, with `GOKART_DURABLE_WRITES=true` "
        "(each local write: `fsync` of the file before its rename, of its folder after) "
        f"against the default (no fsync). The work folders are on **{fstype}**"
        f"{' (a RAM disk: fsync costs nothing there)' if fstype == 'tmpfs' else ''}; each "
        "task writes its output and its run logs.\n"
    )
    w("| local writes | time | per task | vs without fsync |")
    w("|---|---|---|---|")
    base = summary(plain)
    for title, runs in (("without fsync (default)", plain), ("durable (fsync)", durable)):
        s = summary(runs)
        if s is None:
            w(f"| {title} | failed: {first_error(runs)} |||")
            continue
        x = "" if runs is plain else fmt_x(ratio(med(s), med(base)))
        w(f"| {title} | {fmt_range(s)} | {fmt_s(med(s) / ntasks)} | {x} |")
    w("")
    x = ratio(med(summary(durable)), med(base))
    if x is not None:
        on = x < DEFAULT_ON_BELOW and fstype != "tmpfs"
        targets.append(
            (
                "durable writes on by default only if they slow the fan-in < 10% (real disk)",
                f"{fmt_x(x)} the time on {fstype}: "
                + ("on by default would be justified" if on else "so off by default, a setting"),
                "info",
            )
        )
    return out
