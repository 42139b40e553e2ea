"""The scenarios that :mod:`benchmarks.worker` measures (DataFrame round trips, the chain, the
fan-in and its no-op rebuild, the redis lock, unique_id, the deep chain) and the profiles, run
from the runner: each repeat runs every implementation once, in an order rotated per repeat, and
the specs that the workers get are made here. The s3 and parallel scenarios are
:mod:`benchmarks.s3_requests` and :mod:`benchmarks.parallel`."""

from __future__ import annotations

import argparse
import shutil
import sys
from typing import Any, TypeVar

from benchmarks.runner import Runner
from gokart_redis.testing import RedisServer

T = TypeVar("T")


def rotated(seq: list[T], r: int) -> list[T]:
    """``seq`` rotated by ``r``: repeat ``r`` starts with another implementation."""
    k = r % len(seq) if seq else 0
    return seq[k:] + seq[:k]


def run_benchmarks(
    args: argparse.Namespace,
    runner: Runner,
    impls: list[str],
    redis: RedisServer | str | None = None,
) -> dict[str, Any]:
    """Every scenario, interleaved: each repeat runs every implementation once, in turn.

    ``redis`` is the server of the lock scenario, or why it could not be started."""
    kart_impls = [i for i in impls if i in ("core", "gokart", "luigi", "core-before")]
    frame_impls = [
        i for i in ("pandas", "core", "pandas-gk", "gokart", "core-before") if i in impls
    ]
    # the lock scenario's builds: (variant, implementation)
    locks = [(v, "core") for v in ("nolock", "lock")]
    if "core-before" in impls:
        locks += [(f"{v}-before", "core-before") for v in ("nolock", "lock")]
    samples: dict[str, dict[str, list[dict[str, Any]]]] = {}

    def add(key: str, impl: str, result: dict[str, Any]) -> None:
        samples.setdefault(key, {}).setdefault(impl, []).append(result)

    for r in range(max(args.repeats, args.uid_repeats, args.frame_repeats)):
        print(f"-- repeat {r + 1}", file=sys.stderr, flush=True)
        if r < args.frame_repeats and "frame" in args.scenarios:
            for fmt in args.formats:
                for impl in rotated(frame_impls, r):
                    spec = {
                        "kind": "frame",
                        "format": fmt,
                        "rows": args.rows,
                        "cycles": args.frame_cycles,
                        "max_cycles": max(args.frame_cycles, 15),
                        "seconds": args.frame_seconds,
                    }
                    add(f"frame:{fmt}", impl, runner.run(impl, spec))
        if r < args.repeats:
            if "chain" in args.scenarios:
                for impl in rotated(kart_impls, r):
                    spec = {
                        "kind": "chain",
                        "n": args.chain,
                        "recursion_limit": args.chain_recursion_limit,
                    }
                    add("chain", impl, runner.run(impl, spec))
            if "fanin" in args.scenarios:
                for impl in rotated(kart_impls, r):
                    wd = runner.new_workdir()
                    add("fanin", impl, runner.run(impl, {"kind": "fanin", "n": args.fanin}, wd))
                    # the same graph again, in a fresh process: every output exists
                    noop = runner.run(impl, {"kind": "fanin", "n": args.fanin}, wd)
                    add("fanin_noop", impl, noop)
                    shutil.rmtree(wd, ignore_errors=True)
                # issue 18: the same full build with durable (fsynced) local writes
                if "core" in kart_impls:
                    spec = {"kind": "fanin", "n": args.fanin, "durable": True}
                    add("fanin_durable", "core", runner.run("core", spec))
            if "lock" in args.scenarios:
                for variant, impl in rotated(locks, r):
                    if not isinstance(redis, RedisServer):
                        add("lock", variant, {"ok": False, "error": "redis", "message": redis})
                        continue
                    add("lock", variant, runner.run(impl, lock_spec(args, redis, variant)))
        if r < args.uid_repeats and "uid" in args.scenarios:
            for impl in rotated(kart_impls, r):
                add("uid", impl, runner.run(impl, {"kind": "uid", "n": args.uid}))

    deep: dict[str, dict[str, Any]] = {}
    if "deep" in args.scenarios:
        for impl in kart_impls:
            deep[impl] = deep_chain(args, runner, impl)
    out: dict[str, Any] = {"samples": samples, "deep": deep}
    if "lock" in args.scenarios:
        out["redis"] = (
            f"{redis.version()} ({redis.binary}) on {redis.host}:{redis.port}"
            if isinstance(redis, RedisServer)
            else f"no redis-server: {redis}"
        )
    return out


def lock_spec(args: argparse.Namespace, redis: RedisServer, variant: str) -> dict[str, Any]:
    """The worker's spec of the lock scenario: ``variant`` is ``lock`` or ``nolock``."""
    return {
        "kind": "lock",
        "n": args.lock,
        "lock": variant.startswith("lock"),
        "redis_host": redis.host,
        "redis_port": redis.port,
    }


def deep_chain(args: argparse.Namespace, runner: Runner, impl: str) -> dict[str, Any]:
    """Build a chain of ``--deep`` tasks at the default recursion limit; when it fails, find out
    whether the recursion limit is the cause and the deepest chain that does build."""
    spec = {"kind": "chain", "n": args.deep}
    result = runner.run(impl, spec)
    out: dict[str, Any] = {"depth": args.deep, "result": result}
    if result.get("ok") or args.no_bisect:
        return out
    raised = runner.run(impl, {**spec, "recursion_limit": 100_000})
    out["with_raised_limit"] = raised
    low, high = 1, args.deep  # low builds (1 task always does), high fails
    while high - low > max(1, args.deep // 200):
        mid = (low + high) // 2
        if runner.run(impl, {"kind": "chain", "n": mid}).get("ok"):
            low = mid
        else:
            high = mid
    out["deepest_ok"] = low
    out["shallowest_failing"] = high
    return out


def run_profiles(
    args: argparse.Namespace, runner: Runner, redis: RedisServer | str | None = None
) -> str:
    """pyinstrument profiles of gokart-core's slowest per-task paths, as text."""
    parts = []
    wd = runner.new_workdir()
    fanin = {"kind": "fanin", "n": args.fanin}
    n_uid = min(args.uid, 20_000)
    cases = [  # (title, spec, shared workdir): the no-op rebuild runs on the build's outputs
        (f"fan-in of {args.fanin:,} leaves, full build", fanin, wd),
        ("the same fan-in, no-op rebuild (fresh process)", fanin, wd),
        (f"{n_uid:,} task instances + unique_id", {"kind": "uid", "n": n_uid}, None),
    ]
    if isinstance(redis, RedisServer):
        cases.append(
            (
                f"fan-in of {args.lock:,} tasks with the redis lock (targets + run)",
                lock_spec(args, redis, "lock"),
                None,
            )
        )
    for title, spec, workdir in cases:
        profile = runner.workroot / f"profile{len(parts)}.txt"
        result = runner.run("core", {**spec, "profile": str(profile)}, workdir)
        if not result.get("ok"):
            parts.append(f"==== {title}: failed: {result.get('error')} {result.get('message')}\n")
            continue
        parts.append(
            f"==== gokart-core: {title}; {result['seconds']:.3f} s under the profiler\n\n"
            + profile.read_text()
        )
    shutil.rmtree(wd, ignore_errors=True)
    return "\n\n".join(parts)
