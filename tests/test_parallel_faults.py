"""Faults in a parallel build on S3 with the redis lock (issue 12), all real processes:

- a forked task process SIGKILLed in the middle of a multipart upload: no object that looks
  complete, the build reports the failure, and the next build finishes the graph, running only
  the killed task again;
- luigid stopped (SIGTERM: it saves its state to ``--state-path``) or killed (SIGKILL: it saves
  nothing) mid-build and restarted on the same port with the same state path: the build
  finishes, on its own or on a rerun, and no task runs twice.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from gokart_core.testing.luigid import start_luigid

from . import parallel_graph as g
from .parallel_support import (
    _no_worker_left,  # noqa: F401 - an autouse fixture
    check_outputs,
    finish,
    once_each,
    start_worker,
    write_worker_config,
)
from .server_fixtures import Workspace

#: The graph of the luigid restart: 13 leaves -> a join -> a chain of 6 (20 tasks).
LEAVES, CHAIN = 13, 6


def _wait_for(condition: Any, what: str, timeout: float = 60, proc: Any = None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"the build ended before {what}:\n{proc.text()[-4000:]}")
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.02)


@pytest.mark.slow
def test_a_task_process_killed_mid_upload_leaves_no_object_and_only_it_runs_again(
    make_workspace: Any, storage_plugins: Any, redis_server: Any, tmp_path: Path
) -> None:
    cell = "kill-mid-upload"
    workspace: Workspace = make_workspace("s3", cell)
    # 5 MiB parts (S3's smallest): the 6 MiB payload starts the multipart upload, and the
    # slow items keep it in progress for about 2 s (100 x 0.02 s)
    workspace.config["gokart_s3"]["storage_options"] = '{"default_block_size": 5242880}'
    config = write_worker_config(
        tmp_path / "luigi.cfg", workspace, redis=redis_server, redis_timeout=2
    )
    run_log, marker = str(tmp_path / "runs.log"), tmp_path / "dumping.pid"
    params = {"cell": cell, "run_log": run_log, "marker": str(marker), "leaves": 6}
    big = g.BigDump(cell=cell, run_log=run_log, marker=str(marker))
    key = workspace.key(big.output().path())

    first = start_worker(config, "KillRoot", params, workers=2, local=True)
    try:
        _wait_for(marker.exists, "BigDump started its dump", proc=first)
        _wait_for(lambda: key in workspace.uploads(), "the upload started", proc=first)
        victim = int(marker.read_text())
        assert victim != first.pid  # a forked task process, not luigi's worker process
        os.kill(victim, signal.SIGKILL)
    finally:
        code, out = finish(first)
    assert code == 40, f"the build did not report the failure:\n{out[-4000:]}"  # task_failed
    assert "died unexpectedly" in out, out[-4000:]
    left = [n for n in workspace.names() if n.split("/")[-1].startswith(("big", ".big"))]
    assert left == [], "a killed dump left an object"
    assert key in workspace.uploads()  # the dead process could not abort its upload
    runs = g.read_runs(run_log)
    assert [(r.pid, r.ppid) for r in runs if r.name == "big"] == [(victim, first.pid)]
    assert "root" not in {r.name for r in runs}

    second = start_worker(config, "KillRoot", params, workers=2, local=True)
    code, out = finish(second)
    assert code == 0, out[-4000:]
    counts = Counter(r.name for r in g.read_runs(run_log))
    leaves = {f"leaf{i}": 1 for i in range(6)}
    assert counts == Counter({"big": 2, "root": 1, **leaves}), counts
    root = g.KillRoot(cell=cell, run_log=run_log, marker=str(marker), leaves=6)
    summary = root.output().load()
    assert summary == {
        "payload_ok": True,
        "items_ok": True,
        "leaves": [g.leaf_value(i) for i in range(6)],
    }
    assert key in [f"{cell}/{n}" for n in workspace.names()]


@pytest.mark.slow
@pytest.mark.parametrize("server", ["luigid", "gokart-luigid"])
@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_luigid_restarted_mid_build_the_build_finishes_and_nothing_runs_twice(
    how: str,
    server: str,
    make_workspace: Any,
    storage_plugins: Any,
    redis_server: Any,
    tmp_path: Path,
) -> None:
    """gokart-luigid: its scheduler indexes the state that it loads from ``--state-path``."""
    cell = f"restart-{how}-{server}"
    workspace: Workspace = make_workspace("s3", cell)
    # Workers are dropped after 10 s of silence (longer than the restart takes), not the 2 s
    # of the other tests: luigid forgets a worker that was silent for longer, and its pending
    # tasks with it. A task that failed 3 times is disabled (no endless retries).
    options = {"worker_disconnect_delay": 10, "retry_count": 3}
    luigid = start_luigid(tmp_path / "luigid", scheduler=options, gokart=server == "gokart-luigid")
    try:
        config = write_worker_config(
            tmp_path / "luigi.cfg", workspace, redis=redis_server, luigid=luigid
        )
        run_log = str(tmp_path / "runs.log")
        top = g.root(cell, run_log, leaves=LEAVES, chain=CHAIN, sleep=0.2)
        outputs = {task.output().path(): name for name, task in g.graph(top).items()}
        params = {"cell": cell, "run_log": run_log, "leaves": LEAVES, "k": top.k, "sleep": 0.2}
        procs = [start_worker(config, "ParChain", params, workers=2) for _ in range(2)]

        _wait_for(lambda: len(g.read_runs(run_log)) >= 6, "6 tasks ran")
        if how == "SIGTERM":
            luigid.stop()
            assert luigid.state_path.exists(), "luigid saved no state on SIGTERM"
        else:
            luigid.kill()
        done_before = {outputs[p] for p in _existing(workspace, outputs)}
        time.sleep(1.0)  # down for a while: the workers' requests fail and are retried
        luigid.restart()

        results = [finish(proc) for proc in procs]
        for code, out in results:
            assert code == 0, out[-4000:]
        finished_alone = top.output().exists()
        if how == "SIGTERM":
            # luigid came back with its tasks and workers: the workers finished the graph
            assert finished_alone, [out[-2000:] for _, out in results]
        if not finished_alone:
            # After SIGKILL luigid knows nothing of the graph: the workers exit once their
            # running tasks are done (with 0: "not run" is no failure here), and a rerun
            # finishes the graph.
            code, out = finish(start_worker(config, "ParChain", params, workers=2))
            assert code == 0, out[-4000:]
        runs = g.read_runs(run_log)
        counts = Counter(r.name for r in runs)
        assert 0 < len(done_before) < len(outputs), "luigid was not restarted mid-build"
        assert all(counts[name] == 1 for name in done_before), counts
        assert once_each(runs, outputs.values()), counts
        check_outputs(top, workspace)
    finally:
        luigid.stop()


def _existing(workspace: Workspace, outputs: dict[str, str]) -> list[str]:
    names = {f"{workspace.url}/{n}" for n in workspace.names()}
    return [path for path in outputs if path in names]
