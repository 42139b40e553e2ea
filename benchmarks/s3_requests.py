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
another once the process has exited: the requests counted are the log lines between the two.

Runner side (:func:`run`, :func:`render`): the benchmarks' interpreter, which needs
``moto[server]``. Worker side (``python -m benchmarks.s3_requests SPEC RESULT``): either
interpreter; only the standard library is imported at the top, the implementation under test
inside :func:`work`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse

    from benchmarks.cli import Runner

BUCKET = "gokart-bench"
STEPS = ("build", "noop", "rebuild")
#: moto accepts any credentials; never a developer's real ones (~/.aws is ignored).
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}
#: Distributions whose versions the results name, from each interpreter.
VERSIONS = ("gokart-core", "gokart-s3", "s3fs", "aiobotocore", "gokart", "boto3", "botocore")

# ------------------------------------------------------------------------------- worker


def _marker(endpoint: str, name: str) -> None:
    """A request the log shows by name (404: no such bucket)."""
    request = urllib.request.Request(f"{endpoint}/{name}", method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=10):
            pass
    except urllib.error.HTTPError:
        pass


def work(spec: dict[str, Any]) -> dict[str, Any]:
    """One step of one implementation, in this process."""
    import importlib.metadata

    import luigi
    import luigi.configuration

    impl, n, step, endpoint = spec["impl"], spec["n"], spec["step"], spec["endpoint"]
    config = luigi.configuration.get_config()
    for section, key, value in (
        ("TaskOnKart", "workspace_directory", f"s3://{BUCKET}/{impl}"),
        ("gokart_s3", "endpoint_url", endpoint),  # gokart-core; gokart: $AWS_ENDPOINT_URL
    ):
        if not config.has_section(section):
            config.add_section(section)
        config.set(section, key, value)
    if impl == "core":
        import gokart_core as kart
    elif impl == "gokart":
        import gokart as kart  # type: ignore[import-not-found, no-redef, unused-ignore]
    else:
        raise ValueError(f"the s3 scenario runs gokart-core or gokart, not {impl!r}")

    class S3Leaf(kart.TaskOnKart):  # type: ignore[misc, name-defined]
        i = luigi.IntParameter()

        def output(self) -> Any:
            return self.make_target(f"leaf/leaf_{self.i}.pkl")

        def run(self) -> None:
            self.dump(self.i)

    class S3Root(kart.TaskOnKart):  # type: ignore[misc, name-defined]
        n = luigi.IntParameter()

        def requires(self) -> Any:
            return [S3Leaf(i=i) for i in range(self.n)]

        def output(self) -> Any:
            return self.make_target("root.pkl")

        def run(self) -> None:
            self.dump(self.n)  # no loads: existence checks and the root's writes are counted

    root = S3Root(n=n - 1)
    if step == "rebuild":
        root.output().remove()
    _marker(endpoint, spec["start_marker"])
    start = time.perf_counter()
    value = kart.build(root, reset_register=False, log_level=logging.ERROR)
    seconds = time.perf_counter() - start
    if value != n - 1:
        raise AssertionError(f"the root built {value!r}")
    versions = {}
    for dist in VERSIONS:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions[dist] = importlib.metadata.version(dist)
    return {"seconds": seconds, "versions": versions}


def main(argv: list[str]) -> int:
    spec_path, result_path = argv
    with open(spec_path) as fp:
        spec = json.load(fp)
    os.makedirs(spec["workdir"], exist_ok=True)
    os.chdir(spec["workdir"])
    try:
        result = work(spec)
        result["ok"] = True
    except BaseException as exc:  # a failure is a result too
        lines = traceback.format_exception_only(type(exc), exc)
        result = {
            "ok": False,
            "error": type(exc).__name__,
            "message": (lines[-1].strip() if lines else "")[:400],
        }
    with open(result_path, "w") as fp:
        json.dump(result, fp)
    return 0


# ------------------------------------------------------------------------------- server

# werkzeug's access log: ... "HEAD /bucket/key HTTP/1.1" 200 -, with the request in terminal
# colours when the status is not 200 (even into a file): the colours are taken out first.
_REQUEST_LINE = re.compile(r'"([A-Z]+) (\S+) HTTP/[\d.]+" (\d+)')
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class MotoServer:
    """moto's S3 server in a subprocess of the benchmarks' interpreter; ``log`` is its
    request log."""

    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(cls, folder: Path) -> MotoServer:
        folder.mkdir(parents=True, exist_ok=True)
        for _ in range(5):
            port = _free_port()
            log = folder / f"moto-{port}.log"
            with open(log, "wb") as out:
                process = subprocess.Popen(
                    [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, **AWS_ENV, "PYTHONUNBUFFERED": "1"},
                )
            server = cls(port, process, log)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and process.poll() is None:
                try:
                    with urllib.request.urlopen(f"{server.endpoint}/moto-api/data.json", timeout=1):
                        return server
                except OSError:
                    time.sleep(0.05)
            server.stop()  # the port was taken meanwhile, or moto is missing: retry, then say so
        raise RuntimeError(
            f"could not start moto's S3 server ({sys.executable} -m moto.server): "
            + log.read_text(errors="replace").strip()[-300:]
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def create_bucket(self, name: str) -> None:
        request = urllib.request.Request(f"{self.endpoint}/{name}", method="PUT")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def requests_between(self, start: str, end: str) -> list[tuple[str, str, int]]:
        """(method, path, status) of the requests logged between the two markers; waits for
        ``end`` to be logged (the server writes a line as it answers)."""
        deadline = time.monotonic() + 30
        while True:
            lines = self.log.read_text(errors="replace").splitlines()
            if any(f"/{end} " in line for line in lines):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"marker {end} never logged")
            time.sleep(0.02)
        found: list[tuple[str, str, int]] | None = None
        for line in lines:
            if f"/{start} " in line:
                found = []
            elif f"/{end} " in line:
                break
            elif found is not None:
                match = _REQUEST_LINE.search(_COLOUR.sub("", line))
                if match:
                    found.append((match.group(1), match.group(2), int(match.group(3))))
        if found is None:
            raise RuntimeError(f"marker {start} never logged: the step sent no request")
        return found


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


# ------------------------------------------------------------------------------- runner


def _run_step(
    runner: Runner, server: MotoServer, impl: str, step: str, n: int, workdir: Path
) -> dict[str, Any]:
    python, _ = runner.interpreter(impl)
    tag = f"{impl}-{step}-{time.monotonic_ns()}"
    spec = {
        "impl": impl,
        "step": step,
        "n": n,
        "endpoint": server.endpoint,
        "workdir": str(workdir),
        "start_marker": f"bench-marker-start-{tag}",
    }
    fd, spec_path = tempfile.mkstemp(suffix=".json", dir=runner.workroot)
    with os.fdopen(fd, "w") as fp:
        json.dump(spec, fp)
    result_path = spec_path[: -len(".json")] + ".result.json"
    root = str(Path(__file__).resolve().parent.parent)
    env = {
        k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
    }
    env.update(AWS_ENV)
    env["AWS_ENDPOINT_URL"] = server.endpoint  # gokart's boto3 client finds the server here
    env["PYTHONPATH"] = os.pathsep.join([root, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            [python, "-m", "benchmarks.s3_requests", spec_path, result_path],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=runner.timeout,
        )
        if os.path.exists(result_path):
            with open(result_path) as fp:
                result: dict[str, Any] = json.load(fp)
        else:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            result = {"ok": False, "error": f"exit {proc.returncode}", "message": " ".join(tail)}
    except subprocess.TimeoutExpired:
        result = {"ok": False, "error": "timeout", "message": f"over {runner.timeout:.0f} s"}
    finally:
        for path in (spec_path, result_path):
            if os.path.exists(path):
                os.remove(path)
    result["process_s"] = time.perf_counter() - start
    if result.get("ok"):
        end = f"bench-marker-end-{tag}"
        _marker(server.endpoint, end)
        result["requests"] = classify(server.requests_between(spec["start_marker"], end))
    status = (
        f"{result['requests']['all']} requests ({result['requests']['existence']} existence "
        f"checks), {result['seconds']:.2f} s"
        if result.get("ok")
        else f"{result.get('error')}: {str(result.get('message', ''))[:160]}"
    )
    label = "gokart-core" if impl == "core" else "gokart 1.12.2"
    line = f"[{label:>24}] s3 {step} n={n}: {status} (process {result['process_s']:.2f} s)"
    print(line, file=sys.stderr, flush=True)
    runner.log.append(line)
    return result


def run(args: argparse.Namespace, runner: Runner) -> dict[str, Any]:
    """Every step for gokart-core and (when its interpreter is there) gokart, on one server."""
    import importlib.metadata

    n = args.s3_tasks
    impls = [impl for impl in ("core", "gokart") if impl in runner.pythons]
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
        for impl in impls:
            workdir = runner.new_workdir()
            for step in STEPS:
                result = _run_step(runner, server, impl, step, n, workdir)
                out["steps"].setdefault(impl, {})[step] = result
                if not result.get("ok"):
                    break  # the next steps need this one's outputs
    finally:
        server.stop()
    return out


# ------------------------------------------------------------------------------- report

TITLES = {
    "build": "full build",
    "noop": "no-op rebuild (every output there)",
    "rebuild": "rebuild of the root (every leaf asked)",
}


def render(data: dict[str, Any], targets: list[tuple[str, str, str]]) -> list[str]:
    """The Markdown section of the s3 scenario; appends its target to ``targets``."""
    n = data["n"]
    out = [f"## S3 requests: a fan-in of {n:,} tasks on one moto server\n"]
    out.append(
        f"{n - 1:,} leaves and a root that requires them all and loads nothing, in workspaces "
        f"`s3://{BUCKET}/core` and `s3://{BUCKET}/gokart` of one moto S3 server on 127.0.0.1 "
        "(gokart-core through gokart-s3 and s3fs, gokart through boto3). Each step is a fresh "
        "process of the implementation's interpreter; requests are counted from the server's "
        "log between a marker sent just before `build()` and one sent after the process "
        "exited. *no-op rebuild*: everything is there, luigi asks the root only. *rebuild of "
        "the root*: the root's output is removed first (not counted), so luigi asks every "
        "leaf's `complete()`, all complete, and the root runs again (its output and "
        "supplementary logs are written). *existence* counts HEADs and listings; *GET* and "
        "*PUT* are object reads (the root's value that `build()` returns) and writes.\n"
    )
    if "error" in data:
        out.append(f"Not measured: {data['error']}\n")
        targets.append((_target_name(n), f"not measured ({data['error'][:80]})", "not measured"))
        return out
    out.append(f"Server: {data['server']}.\n")
    for impl, label in (("core", "gokart-core"), ("gokart", "gokart 1.12.2")):
        first = next(iter(data["steps"].get(impl, {}).values()), None)
        if first and first.get("versions"):
            names = ", ".join(f"{k} {v}" for k, v in first["versions"].items())
            out.append(f"- {label}: {names}")
    out.append("")
    out.append(
        "| step | implementation | requests | existence | HEAD | list | GET | PUT | other "
        "| vs gokart | build time |"
    )
    out.append("|---|---|---|---|---|---|---|---|---|---|---|")
    steps = data["steps"]
    for step in STEPS:
        gk = steps.get("gokart", {}).get(step, {})
        for impl, label in (("core", "gokart-core"), ("gokart", "gokart 1.12.2")):
            r = steps.get(impl, {}).get(step)
            if r is None:
                continue
            if not r.get("ok"):
                out.append(
                    f"| {TITLES[step]} | {label} | failed: {r.get('error')}: "
                    f"{str(r.get('message', ''))[:120].replace('|', '/')} ||||||||"
                )
                continue
            q = r["requests"]
            vs = ""
            if impl == "core" and gk.get("ok") and gk["requests"]["all"]:
                vs = f"1/{gk['requests']['all'] / max(q['all'], 1):.1f}"
            out.append(
                f"| {TITLES[step]} | {label} | {q['all']} | {q['existence']} | {q['HEAD']} "
                f"| {q['list']} | {q['GET']} | {q['PUT']} | {q['other']} | {vs} "
                f"| {r['seconds']:.2f} s |"
            )
    out.append("")
    core = steps.get("core", {}).get("rebuild", {})
    gk = steps.get("gokart", {}).get("rebuild", {})
    if core.get("ok") and gk.get("ok"):
        c, g = core["requests"]["all"], gk["requests"]["all"]
        ce, ge = core["requests"]["existence"], gk["requests"]["existence"]
        targets.append(
            (
                _target_name(n),
                f"{c} vs {g} requests (1/{g / max(c, 1):.1f}); existence checks {ce} vs {ge}",
                "yes" if c * 10 <= g else "**no**",
            )
        )
    elif "gokart" not in steps:
        targets.append((_target_name(n), "gokart not run (--only-gokart-core)", "not measured"))
    else:
        targets.append((_target_name(n), "failed", "**no**"))
    return out


def _target_name(n: int) -> str:
    return f"S3 requests of a rebuild of a {n:,}-task graph ≤ 1/10 of gokart's (issue 7)"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
