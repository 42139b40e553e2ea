"""``python -m benchmarks``: every scenario in a fresh process of the right interpreter, repeats,
Markdown out. This module is the run from start to end: the options (:mod:`benchmarks.options`),
gokart's virtualenv and the processes (:mod:`benchmarks.runner`), the redis-server, the
scenarios, the profile, then ``results.md`` (:mod:`benchmarks.report`), ``results.json`` and
``profile.txt``.

Implementations (each one a column of work, never two in one process):

- ``pandas``: raw pandas dumping and loading the same file, in the benchmarks' interpreter: the
  limit for DataFrame I/O. ``pandas-gk`` is the same code in gokart's virtualenv, so that gokart's
  ratio is taken against the pandas it runs on.
- ``core``: gokart-core and its plugins, in the benchmarks' interpreter.
- ``gokart``: the PyPI ``gokart`` package in its own virtualenv (``--gokart-python``, or one made
  under ``--gokart-venv``).
- ``luigi``: the same graphs as bare luigi tasks writing the same pickles: the floor.

The ``lock`` scenario (issue 4) is gokart-core alone: a fan-in with gokart-redis's lock on
against the same build without locking, on a redis-server that the runner starts on a free
port of 127.0.0.1 (never the shared 6379; ``gokart_redis.testing``) and stops at the end. The
``s3`` scenario is :mod:`benchmarks.s3_requests`; ``parallel`` (issue 12: ``workers=2`` against
1) is :mod:`benchmarks.parallel`; ``scaling`` (issue 14: graphs of 1,000 to 100,000 tasks,
gokart-core's scheduler against luigi's) is :mod:`benchmarks.scaling`. A run of some scenarios
only merges its sections into an existing results file (:mod:`benchmarks.report_merge`).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks import compare, parallel, report_merge, report_page, s3_requests, scaling
from benchmarks.machine import machine_info
from benchmarks.options import SCENARIOS, parse_args
from benchmarks.report import render
from benchmarks.runner import ROOT, Runner, ensure_core_before_venv, ensure_gokart_venv
from benchmarks.scenarios import run_benchmarks, run_profiles
from gokart_redis.testing import RedisServer, start_redis


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    pythons = {"core": sys.executable}
    impls = ["pandas", "core", "luigi"]
    if not args.only_gokart_core:
        pythons["gokart"] = args.gokart_python or ensure_gokart_venv(Path(args.gokart_venv))
        impls += ["pandas-gk", "gokart"]
    if args.core_before:
        venv = Path(args.gokart_venv).parent / "bench-core-before"
        pythons["core-before"], args.core_before = ensure_core_before_venv(args.core_before, venv)
        impls.append("core-before")
    base = Path(args.workdir) if args.workdir else _default_workdir()
    base.mkdir(parents=True, exist_ok=True)  # --workdir names a place; made when missing
    workroot = Path(tempfile.mkdtemp(prefix="gokart-bench-", dir=base))
    runner = Runner(pythons=pythons, workroot=workroot, timeout=args.timeout)
    redis: RedisServer | str | None = None
    try:
        if "lock" in args.scenarios:
            try:
                redis = start_redis(workroot / "redis")
            except (OSError, RuntimeError) as exc:  # the lock rows say failed, the rest runs
                redis = f"{type(exc).__name__}: {exc}"
                print(f"lock scenario: {redis}", file=sys.stderr, flush=True)
        info = {"gokart-core env": runner.run("core", {"kind": "info"})}
        if "core-before" in pythons:
            info[f"gokart-core {args.core_before} env"] = runner.run(
                "core-before", {"kind": "info"}
            )
        if "gokart" in pythons:
            info["gokart env"] = runner.run("gokart", {"kind": "info"})
        data = run_benchmarks(args, runner, impls, redis)
        if args.core_before:
            data["core_before"] = args.core_before
        if "s3" in args.scenarios:
            data["s3"] = s3_requests.run(args, runner)
        if "parallel" in args.scenarios:
            data["parallel"] = parallel.run(args, runner)
        if "scaling" in args.scenarios:
            data["scaling"] = scaling.run(args, runner)
        if "report" in args.scenarios:
            data["report"] = report_page.run(args)
        try:
            profile = run_profiles(args, runner, redis) if args.profile else None
        except Exception as exc:  # the measurements are kept whatever happens to the profile
            profile = f"profiling failed: {type(exc).__name__}: {exc}\n"
        machine = machine_info(workroot)
    finally:
        if isinstance(redis, RedisServer):
            redis.stop()
        shutil.rmtree(workroot, ignore_errors=True)
    command = os.environ.get("BENCH_COMMAND") or "python -m benchmarks " + shlex.join(
        sys.argv[1:] if argv is None else list(argv)
    )
    if args.output and set(args.scenarios) != set(SCENARIOS):
        report_merge.keep_other_samples(data, Path(args.output))
    text = render(args, data, info, machine, command.strip(), time.perf_counter() - started)
    if profile is not None:
        header = (
            f"pyinstrument profiles of gokart-core, written by `{command.strip()}`\n"
            f"({machine['nproc']} CPUs, {machine['cpu']}, tree {machine['commit']}, "
            f"{machine['date']}). Sampling interval 1 ms; frames of luigi and the standard "
            "library are folded into their callers.\n\n"
        )
        Path(args.profile_output).write_text(header + profile)
        text += f"\nProfile of the slowest per-task paths: `{_rel(args.profile_output)}`.\n"
    if args.output:
        raw = Path(args.output).with_suffix(".json")
        results = {"machine": machine, "info": info, **data}
        # in a checkout: the last committed results, which this run replaces
        replaced = _load(raw) if raw.exists() else {}
        text += "\n" + "\n".join(compare.section(replaced, results, args.core_before))
        whole = text
        if set(args.scenarios) != set(SCENARIOS):  # a partial run keeps the other sections
            whole, results = report_merge.merge(Path(args.output), text, results, args.scenarios)
        Path(args.output).write_text(whole)
        raw.write_text(json.dumps(results, indent=1) + "\n")
        print(f"wrote {args.output} and {raw}", file=sys.stderr)
    print(text)
    return 0


def _load(path: Path) -> dict[str, Any]:
    try:
        found = json.loads(path.read_text())
    except ValueError:  # not the benchmarks' results: nothing to compare with
        return {}
    return found if isinstance(found, dict) else {}


def _rel(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return path


def _default_workdir() -> Path:
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return shm
    return Path(tempfile.gettempdir())
