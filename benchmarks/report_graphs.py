"""The task-graph sections of ``results.md``, each an empty list when its scenario did not run:
the chain and fan-in builds and the no-op rebuild (:func:`graphs`), unique_id of many instances
(:func:`unique_ids`), the deep chain at the default recursion limit (:func:`deep_chain`) and the
redis lock's overhead (:func:`lock`); each appends its rows of the targets table."""

from __future__ import annotations

import argparse
from typing import Any

from benchmarks.runner import LABELS
from benchmarks.stats import first_error, fmt_range, fmt_s, fmt_x, med, met, ratio, summary

Samples = dict[str, dict[str, list[dict[str, Any]]]]
Targets = list[tuple[str, str, str]]


def graphs(args: argparse.Namespace, samples: Samples, targets: Targets) -> list[str]:
    """The chain, the fan-in and its no-op rebuild, by every implementation."""
    graph_rows = [
        ("chain", f"chain of {args.chain:,} tasks, full build", args.chain),
        ("fanin", f"fan-in of {args.fanin:,} leaves, full build", args.fanin + 1),
        ("fanin_noop", "the same fan-in, no-op rebuild (fresh process)", args.fanin + 1),
    ]
    if not any(k in samples for k, _, _ in graph_rows):
        return []
    out: list[str] = []
    w = out.append
    w("## Task graphs\n")
    w(
        "Leaves dump their number to a `.pkl`; each task loads what it requires. Time is "
        "instance creation plus `build()` (`luigi.build` for bare luigi) in the process; "
        "*process* is the whole process (interpreter start and imports included). *vs "
        "gokart-core* above 1 means slower than gokart-core. Bare luigi writes the same "
        "pickles through `luigi.LocalTarget`: the floor.\n"
    )
    w("| scenario | implementation | time | per task | process | vs gokart-core | files |")
    w("|---|---|---|---|---|---|---|")
    for key, title, ntasks in graph_rows:
        per = samples.get(key, {})
        core = summary(per.get("core", []))
        for impl in ("core", "gokart", "luigi"):
            if impl not in per:
                continue
            s = summary(per[impl])
            if s is None:
                w(f"| {title} | {LABELS[impl]} | failed: {first_error(per[impl])} |||||")
                continue
            proc = summary(per[impl], "process_s")
            files = summary(per[impl], "files")
            w(
                f"| {title} | {LABELS[impl]} | {fmt_range(s)} | {fmt_s(med(s) / ntasks)} "
                f"| {fmt_s(med(proc))} "
                f"| {'' if impl == 'core' else fmt_x(ratio(med(s), med(core)))} "
                f"| {'' if files is None else int(files['median'])} |"
            )
        gk, cs = summary(per.get("gokart", [])), core
        lu = summary(per.get("luigi", []))
        if key == "fanin":
            x = ratio(med(gk), med(cs))
            targets.append(
                (
                    "fan-in full build ≥ 2x faster than gokart",
                    fmt_x(x) + " faster",
                    met(None if x is None else x >= 2),
                )
            )
            targets.append(
                (
                    "(floor) fan-in full build vs bare luigi",
                    fmt_x(ratio(med(cs), med(lu))) + " of luigi's time",
                    "info",
                )
            )
        if key == "fanin_noop":
            x = ratio(med(gk), med(cs))
            xp = ratio(
                med(summary(per.get("gokart", []), "process_s")),
                med(summary(per.get("core", []), "process_s")),
            )
            targets.append(
                (
                    "no-op rebuild ≥ 3x faster than gokart",
                    f"{fmt_x(x)} faster in process ({fmt_x(xp)} whole process)",
                    met(None if x is None else x >= 3),
                )
            )
    w("")
    return out


def unique_ids(args: argparse.Namespace, samples: Samples, targets: Targets) -> list[str]:
    """Creating ``--uid`` instances and taking their unique ids."""
    if "uid" not in samples:
        return []
    per = samples["uid"]
    out: list[str] = []
    w = out.append
    w(f"## unique_id of {args.uid:,} task instances (5 mixed parameters)\n")
    w(
        "Distinct instances of a task with an int, str, float, bool and date parameter: "
        "creation, then `make_unique_id()` of each. Bare luigi has no unique_id: its "
        "`task_id` (made at creation) is the floor.\n"
    )
    w(
        "| implementation | total | per instance | creating | unique_id | parameters "
        "| vs gokart-core |"
    )
    w("|---|---|---|---|---|---|---|")
    core = summary(per.get("core", []))
    for impl in ("core", "gokart", "luigi"):
        if impl not in per:
            continue
        s = summary(per[impl])
        if s is None:
            w(f"| {LABELS[impl]} | failed: {first_error(per[impl])} ||||||")
            continue
        create = med(summary(per[impl], "create_s"))
        uid = med(summary(per[impl], "uid_s"))
        params = per[impl][0].get("params_per_task", "")
        w(
            f"| {LABELS[impl]} | {fmt_range(s)} | {fmt_s(med(s) / args.uid)} "
            f"| {fmt_s(create)} ({100 * (create or 0) / med(s):.0f}%) | {fmt_s(uid)} "
            f"| {params} | {'' if impl == 'core' else fmt_x(ratio(med(s), med(core)))} |"
        )
    x = ratio(med(summary(per.get("gokart", []))), med(core))
    targets.append(
        (
            "unique_id of 100,000 instances ≥ 5x faster than gokart",
            fmt_x(x) + " faster",
            met(None if x is None else x >= 5),
        )
    )
    w("")
    return out


def deep_chain(args: argparse.Namespace, deep: dict[str, Any], targets: Targets) -> list[str]:
    """The ``--deep`` chain at the default recursion limit; the bisection when it failed."""
    if not deep:
        return []
    out: list[str] = []
    w = out.append
    w(f"## A chain of {args.deep:,} tasks at Python's default recursion limit\n")
    w(
        "Each task requires the one before. When the build fails, the same depth is built "
        "again with the limit raised to 100,000 (does the limit cause it?), and a bisection "
        "finds the deepest chain that builds at the default limit.\n"
    )
    w("| implementation | result | time | with the limit raised | deepest that builds |")
    w("|---|---|---|---|---|")
    for impl, d in deep.items():
        r = d["result"]
        if r.get("ok"):
            w(f"| {LABELS[impl]} | builds | {fmt_s(r['seconds'])} | | {d['depth']:,} or more |")
        else:
            raised = d.get("with_raised_limit")
            raised_txt = (
                ""
                if raised is None
                else f"builds in {fmt_s(raised['seconds'])}"
                if raised.get("ok")
                else f"fails too: {raised.get('error')}"
            )
            deepest = d.get("deepest_ok")
            deepest_txt = (
                "" if deepest is None else f"{deepest:,} (fails at {d['shallowest_failing']:,})"
            )
            msg = str(r.get("message", "")).replace("|", "\\|").splitlines()
            w(
                f"| {LABELS[impl]} | fails: {r.get('error')} ({msg[0][:160] if msg else ''}) "
                f"| | {raised_txt} | {deepest_txt} |"
            )
        if impl == "core":
            targets.append(
                (
                    f"a {args.deep:,}-deep chain builds at the default recursion limit",
                    "builds" if r.get("ok") else f"fails ({r.get('error')})",
                    met(bool(r.get("ok"))),
                )
            )
    w("")
    return out


def lock(args: argparse.Namespace, samples: Samples, targets: Targets) -> list[str]:
    """The fan-in of ``--lock`` tasks with gokart-redis's lock against the same without."""
    if "lock" not in samples:
        return []
    per = samples["lock"]
    ntasks = args.lock
    out: list[str] = []
    w = out.append
    w(f"## Redis lock overhead: a fan-in of {ntasks:,} tasks built by one process\n")
    w(
        f"gokart-core builds {ntasks - 1:,} leaves and the root that loads them, with one "
        "luigi worker, in a fresh process each time. *redis lock*: `[TaskOnKart]` in the "
        "luigi config sets `redis_host`/`redis_port` (the benchmarks' own redis-server on "
        "127.0.0.1) and `should_lock_run=true`, so gokart-redis locks every `exists`, "
        "`load` and `dump` of an output and every `run()`. *without locking*: the same "
        "build and `[TaskOnKart]` section with `should_lock_run=false` and no redis. Time "
        "is instance creation plus `build()`; *process* is the whole process.\n"
    )
    w("| build | time | per task | process | vs without locking |")
    w("|---|---|---|---|---|")
    base = summary(per.get("nolock", []))
    titles = {"nolock": "without locking", "lock": "redis lock (targets + run)"}
    for variant in ("nolock", "lock"):
        if variant not in per:
            continue
        s = summary(per[variant])
        if s is None:
            w(f"| {titles[variant]} | failed: {first_error(per[variant])} ||||")
            continue
        proc = summary(per[variant], "process_s")
        w(
            f"| {titles[variant]} | {fmt_range(s)} | {fmt_s(med(s) / ntasks)} "
            f"| {fmt_s(med(proc))} "
            f"| {'' if variant == 'nolock' else fmt_x(ratio(med(s), med(base)))} |"
        )
    locked = med(summary(per.get("lock", [])))
    x = ratio(locked, med(base))
    targets.append(
        (
            f"lock overhead for a {ntasks:,}-task fan-in ≤ 1.3x the same build without "
            "locking (issue 4)",
            fmt_x(x),
            met(None if x is None else x <= 1.3),
        )
    )
    w("")
    # issue 15: the lock's own cost per task, redis-py's import (inside the build) counted once
    base_s = med(base)
    cost = None if locked is None or base_s is None else (locked - base_s) / ntasks
    process = ratio(
        med(summary(per.get("lock", []), "process_s")),
        med(summary(per.get("nolock", []), "process_s")),
    )
    if cost is not None:
        w(
            f"The lock's cost per task: {cost * 1e3:.2f} ms (locked minus unlocked, over "
            f"{ntasks:,} tasks; the import of redis-py, on the first lock, counted once); whole "
            f"processes {fmt_x(process)}.\n"
        )
    targets.append(
        (
            "the redis lock's cost per task ≤ 1 ms, redis-py's import counted once (issue 15)",
            "n/a" if cost is None else f"{cost * 1e3:.2f} ms",
            met(None if cost is None else cost <= 1e-3),
        )
    )
    targets.append(
        (
            f"the whole process of the locked {ntasks:,}-task build ≤ 1.5x the unlocked one "
            "(issue 15)",
            fmt_x(process),
            met(None if process is None else process <= 1.5),
        )
    )
    return out
