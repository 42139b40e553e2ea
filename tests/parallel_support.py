"""What the parallel-worker tests share: checking a graph's outputs against what its tasks
should have dumped, asking luigid and redis what they did, and worker subprocesses running
``parallel_graph`` on luigi's command line."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gokart_core.testing.luigid import Luigid

from . import parallel_graph as g
from .server_fixtures import Workspace

HERE = Path(__file__).parent


def check_outputs(top: g.ParChain, workspace: Workspace) -> None:
    """Every task's output loads and holds its value; the storage holds those outputs and
    nothing else (no temporary file, no upload left behind)."""
    want = g.expected(top.leaves, top.k + 1)
    loaded = {name: task.output().load() for name, task in g.graph(top).items()}
    assert loaded == want
    names = workspace.names()
    assert len(names) == len(want), names
    assert all(n.endswith(".pkl") and not n.split("/")[-1].startswith(".") for n in names), names
    assert workspace.uploads() == []


def once_each(runs: list[g.Run], names: Any) -> bool:
    """Whether every one of ``names``, and nothing else, ran exactly once."""
    return Counter(run.name for run in runs) == Counter(set(names))


def luigid_done(luigid: Luigid) -> set[str]:
    """The ids of the tasks that luigid knows as DONE."""
    data = urllib.parse.quote(json.dumps({"status": "DONE"}))
    with urllib.request.urlopen(f"{luigid.url}/api/task_list?data={data}", timeout=10) as r:
        return set(json.load(r)["response"])


def eval_calls(redis_server: Any) -> int:
    """How many times redis has run gokart-redis's acquire, renew and release scripts (by
    EVALSHA, or EVAL)."""
    stats = redis_server.client().info("commandstats")
    return sum(int(stats.get(f"cmdstat_{c}", {}).get("calls", 0)) for c in ("eval", "evalsha"))


def write_worker_config(
    path: Path,
    workspace: Workspace,
    *,
    redis: Any = None,
    redis_timeout: int = 10,
    luigid: Luigid | None = None,
    extra: dict[str, dict[str, str]] | None = None,
) -> Path:
    """A luigi config for worker processes: the workspace's, the redis lock (with
    ``should_lock_run``) when ``redis`` is given, and luigid as the scheduler when given."""
    sections: dict[str, dict[str, str]] = {s: dict(o) for s, o in workspace.config.items()}
    if redis is not None:
        sections["TaskOnKart"].update(
            redis_host=redis.host,
            redis_port=str(redis.port),
            redis_timeout=str(redis_timeout),
            should_lock_run="true",
        )
    # luigi's command line logs at DEBUG: many lines per task, and no help here
    sections["core"] = {"log_level": "INFO"}
    if luigid is not None:
        sections["core"] |= {
            # luigi's pid lock allows one process per command line per machine; these workers
            # share one machine
            "no_lock": "true",
            "scheduler_host": "127.0.0.1",
            "scheduler_port": str(luigid.port),
            # a luigid that is down for a few seconds is waited for, not 3 x 30 s
            "rpc_retry_attempts": "30",
            "rpc_retry_wait": "1",
        }
        sections["worker"] = {
            # stay while the graph has pending tasks (others may be running their
            # dependencies), and ask for work often
            "keep_alive": "true",
            "wait_interval": "0.1",
            "wait_jitter": "0.2",
            "ping_interval": "0.5",
        }
        # luigi counts a task that another worker ran, or is running as this one exits, as
        # "not run" / "already running" by this one: no failure when workers share a graph
        sections["retcode"] = {"already_running": "0", "not_run": "0"}
    for section, options in (extra or {}).items():
        sections.setdefault(section, {}).update(options)
    lines = []
    for section, options in sections.items():
        lines.append(f"[{section}]")
        lines.extend(f"{key}={value}" for key, value in options.items())
    path.write_text("\n".join(lines) + "\n")
    return path


_outputs = itertools.count()
_started: list[Worker] = []


@pytest.fixture(autouse=True)
def _no_worker_left() -> Iterator[None]:
    """Kill the worker processes that a failed test left running."""
    yield
    while _started:
        worker = _started.pop()
        if worker.poll() is None:
            worker.process.kill()
            worker.process.wait()


@dataclass
class Worker:
    """A worker process; its output (stdout and stderr) goes to the file ``output``, never
    to a pipe that nobody reads while waiting for another worker."""

    process: subprocess.Popen[bytes]
    output: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def poll(self) -> int | None:
        return self.process.poll()

    def text(self) -> str:
        return self.output.read_text(errors="replace")


def start_worker(
    config: Path,
    task: str,
    params: dict[str, Any],
    *,
    workers: int,
    local: bool = False,
    entry: str = "main",
) -> Worker:
    """``python -c 'parallel_graph.main()' task --param value ... --workers N``: luigi's
    command line in a process of its own, with ``config`` as its luigi config (``entry``: the
    function of :mod:`parallel_graph` to call, given ``task`` when it is not empty)."""
    args = [f"--{k.replace('_', '-')}={v}" for k, v in params.items()]
    args += ["--workers", str(workers), *(["--local-scheduler"] if local else [])]
    args = [task, *args] if task else args
    # Absolute: the worker runs in another folder, where a relative entry of the test's own
    # PYTHONPATH (``src`` for a source checkout) would silently mean the installed copy.
    inherited = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    path = os.pathsep.join([str(HERE), *(os.path.abspath(p) for p in inherited if p)])
    output = config.parent / f"worker-{next(_outputs)}.log"
    with open(output, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", f"import parallel_graph; parallel_graph.{entry}()", *args],
            cwd=config.parent,
            env={**os.environ, "LUIGI_CONFIG_PATH": str(config), "PYTHONPATH": path},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    _started.append(Worker(process, output))
    return _started[-1]


def finish(worker: Worker, timeout: float = 180) -> tuple[int, str]:
    """Wait for a worker process (killed after ``timeout`` s): its exit code and output."""
    try:
        worker.process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        worker.process.kill()
        worker.process.wait()
        raise AssertionError(f"worker {worker.pid} still running after {timeout} s") from None
    return worker.process.returncode, worker.text()
