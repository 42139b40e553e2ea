"""The ``s3`` scenario (issue 7): requests that gokart-core and gokart 1.12.2 send to S3 for the
same task graph, counted from the request log of one moto S3 server.

The graph is a fan-in: ``n - 1`` leaves and a root that requires them all (its ``run()`` dumps a
number and loads nothing, so what is counted is the existence checks, the root's own writes
and the read of the value that ``build()`` returns). Each implementation, in a fresh process
of its own interpreter per step, on its own prefix of one bucket:

1. ``build``: the full build;
2. ``noop``: the same build again, every output there (luigi asks the root only);
3. ``rebuild``: the root's output removed first (not counted), then built again: luigi asks
   every leaf's ``complete()``, all complete, and runs the root. The goal of issue 7 is set on
   this step: at most 1/10 of gokart's requests.

Each step sends a marker request to the server just before the build, and the runner sends
another once the process has exited: the requests counted are the log lines between the two
(:meth:`gokart_core.testing.servers.MotoServer.requests_between`). The full build runs once;
the no-op rebuild and the rebuild of the root, which leave the outputs as they found them, run
``--repeats`` times, the implementations interleaved: their time is the median (their requests
the first run's; every run's count is kept).

Here: the runner's side, in the benchmarks' interpreter, which needs ``moto[server]``. One step
per process: :mod:`benchmarks.s3_worker`; the Markdown: :mod:`benchmarks.s3_report`.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.runner import LABELS
from benchmarks.s3_worker import AWS_ENV, BUCKET, STEPS, marker
from benchmarks.scenarios import rotated
from gokart_core.testing.servers import MotoServer

if TYPE_CHECKING:
    import argparse

    from benchmarks.runner import Runner


def classify(requests: list[tuple[str, str, int]]) -> dict[str, int]:
    """Request counts by kind: existence checks (HEAD, listings) and the rest."""
    kinds = {"all": len(requests), "HEAD": 0, "list": 0, "GET": 0, "PUT": 0, "other": 0}
    for method, path, _ in requests:
        if method == "HEAD":
            kinds["HEAD"] += 1
        elif method == "GET" and ("list-type=" in path or "prefix=" in path):
            kinds["list"] += 1
        elif method in ("GET", "PUT"):
            kinds[method] += 1
        else:
            kinds["other"] += 1
    kinds["existence"] = kinds["HEAD"] + kinds["list"]
    return kinds


def _run_step(
    runner: Runner, server: MotoServer, impl: str, step: str, n: int, workdir: Path
) -> dict[str, Any]:
    tag = f"{impl}-{step}-{time.monotonic_ns()}"
    spec = {
        "step": step,
        "n": n,
        "endpoint": server.endpoint_url,
        "start_marker": f"bench-marker-start-{tag}",
        "folder": impl,
    }
    env = {**AWS_ENV, "AWS_ENDPOINT_URL": server.endpoint_url}  # gokart's boto3 finds it there
    result = runner.run(impl, spec, workdir, "benchmarks.s3_worker", env, quiet=True)
    if result.get("ok"):
        end = f"bench-marker-end-{tag}"
        marker(server.endpoint_url, end)
        result["requests"] = classify(server.requests_between(spec["start_marker"], end))
    status = (
        f"{result['requests']['all']} requests ({result['requests']['existence']} existence "
        f"checks), {result['seconds']:.2f} s"
        if result.get("ok")
        else f"{result.get('error')}: {str(result.get('message', ''))[:160]}"
    )
    label = LABELS[impl]
    runner.note(f"[{label:>24}] s3 {step} n={n}: {status} (process {result['process_s']:.2f} s)")
    return result


def run(args: argparse.Namespace, runner: Runner) -> dict[str, Any]:
    """Every step for gokart-core and (when its interpreter is there) gokart, on one server."""
    import importlib.metadata

    n = args.s3_tasks
    impls = [impl for impl in ("core", "gokart", "core-before") if impl in runner.pythons]
    out: dict[str, Any] = {"n": n, "steps": {}}
    try:
        server = MotoServer.start(runner.workroot / "moto")
    except (OSError, RuntimeError) as exc:
        out["error"] = f"{type(exc).__name__}: {exc}"
        print(f"s3 scenario: {out['error']}", file=sys.stderr, flush=True)
        return out
    try:
        out["server"] = f"moto {importlib.metadata.version('moto')} on 127.0.0.1:{server.port}"
        server.create_bucket(BUCKET)
        workdirs = {impl: runner.new_workdir() for impl in impls}
        runs: dict[str, dict[str, list[dict[str, Any]]]] = {impl: {} for impl in impls}
        built = []
        for impl in impls:
            result = _run_step(runner, server, impl, STEPS[0], n, workdirs[impl])
            runs[impl][STEPS[0]] = [result]
            if result.get("ok"):
                built.append(impl)  # the next steps need this one's outputs
        for r in range(max(args.repeats, 1)):
            for impl in rotated(built, r):
                for step in STEPS[1:]:
                    result = _run_step(runner, server, impl, step, n, workdirs[impl])
                    runs[impl].setdefault(step, []).append(result)
        for name, by_step in runs.items():
            out["steps"][name] = {step: _median_run(results) for step, results in by_step.items()}
    finally:
        server.stop()
    return out


def _median_run(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The first run's result with the median time of all; a failed run if any failed."""
    failed = [r for r in results if not r.get("ok")]
    if failed:
        return failed[0]
    times = [float(r["seconds"]) for r in results]
    return {
        **results[0],
        "seconds": statistics.median(times),
        "runs_s": times,
        "runs_requests": [r["requests"]["all"] for r in results],
    }
