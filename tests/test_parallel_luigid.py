"""luigid at size (issue 12): three worker processes, each with ``workers=2`` (luigi forks a
child per task), share one 200-task graph (189 leaves -> a join -> a chain of 10) through a
real luigid, with the redis lock. Every task runs exactly once, in a forked child of one of
the three, and every output holds its value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gokart_core.testing.luigid import Luigid

from . import parallel_graph as g
from .parallel_support import (
    _no_worker_left,  # noqa: F401 - an autouse fixture
    check_outputs,
    eval_calls,
    finish,
    luigid_done,
    once_each,
    start_worker,
    write_worker_config,
)
from .server_fixtures import Workspace

LEAVES, CHAIN = 189, 10
PROCESSES, WORKERS = 3, 2


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["s3", "local"])
def test_three_worker_processes_with_two_workers_each_run_200_tasks_once(
    kind: str,
    make_workspace: Any,
    storage_plugins: Any,
    redis_server: Any,
    session_luigid: Luigid,
    tmp_path: Path,
) -> None:
    cell = f"size-{kind}"
    workspace: Workspace = make_workspace(kind, cell)
    config = write_worker_config(
        tmp_path / "luigi.cfg", workspace, redis=redis_server, luigid=session_luigid
    )
    run_log = str(tmp_path / "runs.log")
    top = g.root(cell, run_log, LEAVES, CHAIN)
    params = {"cell": cell, "run_log": run_log, "leaves": LEAVES, "k": top.k}
    evals_before = eval_calls(redis_server)

    procs = [start_worker(config, "ParChain", params, workers=WORKERS) for _ in range(PROCESSES)]
    for proc in procs:
        code, out = finish(proc)
        assert code == 0, out[-4000:]

    runs = g.read_runs(run_log)
    assert once_each(runs, g.expected(LEAVES, CHAIN)), sorted(runs)
    parents = {proc.pid for proc in procs}
    # every run in a child that one of the worker processes forked, and the graph shared
    assert {run.ppid for run in runs} <= parents
    assert not {run.pid for run in runs} & parents
    assert len({run.ppid for run in runs}) > 1, "one worker process ran everything"
    assert eval_calls(redis_server) - evals_before >= 2 * len(runs)  # the run locks
    assert {task.task_id for task in g.graph(top).values()} <= luigid_done(session_luigid)
    check_outputs(top, workspace)
