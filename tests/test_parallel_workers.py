"""luigi's parallelism on every workspace (issue 12): each cell of workspace {local folder,
``s3://`` on moto's server, ``gs://`` on fake-gcs-server} x ``workers`` {1, 4} x scheduler
{local, a real luigid} x lock {none, redis with ``should_lock_run``} is a real build of a
40-task graph (29 leaves -> a join -> a chain of 10).

The first build is ``luigi.build([root], workers=W)``, as users write it: with ``workers>1``
luigi forks a child per task, after the parent has resolved the workspace's filesystem (and
opened its lock connections) checking ``complete()``. Every ``run()`` happens exactly once
(the tasks record their runs), every output loads, and a second build, ``gokart_core.build``,
returns the root's value without running anything.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import luigi
import pytest

import gokart_core as gokart
from gokart_core.testing.luigid import Luigid

from . import parallel_graph as g
from .parallel_support import check_outputs, eval_calls, luigid_done, once_each
from .server_fixtures import Workspace

LEAVES, CHAIN = 29, 10
TASKS = LEAVES + 1 + CHAIN


@pytest.mark.slow
@pytest.mark.parametrize("lock", ["none", "redis"])
@pytest.mark.parametrize("scheduler", ["local", "luigid"])
@pytest.mark.parametrize("workers", [1, 4])
@pytest.mark.parametrize("kind", ["local", "s3", "gs"])
def test_every_task_runs_once_and_a_second_build_runs_nothing(
    kind: str,
    workers: int,
    scheduler: str,
    lock: str,
    make_workspace: Any,
    storage_plugins: Any,
    redis_server: Any,
    set_config: Any,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    cell = f"{kind}-w{workers}-{scheduler}-{lock}"
    workspace: Workspace = make_workspace(kind, cell)
    env: dict[str, Any] = {"workers": workers}
    if scheduler == "luigid":
        luigid: Luigid = request.getfixturevalue("session_luigid")
        env.update(local_scheduler=False, scheduler_host="127.0.0.1", scheduler_port=luigid.port)
    else:
        env.update(local_scheduler=True)
    if lock == "redis":
        set_config("TaskOnKart", "redis_host", redis_server.host)
        set_config("TaskOnKart", "redis_port", str(redis_server.port))
        set_config("TaskOnKart", "should_lock_run", "true")
    evals_before = eval_calls(redis_server)
    run_log = str(tmp_path / "runs.log")
    top = g.root(cell, run_log, LEAVES, CHAIN)

    assert luigi.build([top], log_level="WARNING", **env) is True

    runs = g.read_runs(run_log)
    assert once_each(runs, g.expected(LEAVES, CHAIN)), Counter(r.name for r in runs)
    pids = {run.pid for run in runs}
    if workers == 1:
        assert pids == {os.getpid()}  # luigi runs the tasks in its own process
    else:
        # luigi forked: every run happened in a child of this process, more than one child
        assert {run.ppid for run in runs} == {os.getpid()}
        assert os.getpid() not in pids
        assert len(pids) > 1, pids
    if lock == "redis":  # each run() took and released its run lock at least
        assert eval_calls(redis_server) - evals_before >= 2 * TASKS
    else:
        assert eval_calls(redis_server) == evals_before
    if scheduler == "luigid":
        # luigid scheduled the graph: it knows every task of it as done
        ids = {task.task_id for task in g.graph(top).values()}
        assert ids <= luigid_done(luigid)
    check_outputs(top, workspace)

    luigi.task_register.Register.clear_instance_cache()
    again = g.root(cell, run_log, LEAVES, CHAIN)
    assert gokart.build(again, **env) == g.expected(LEAVES, CHAIN)[f"chain{CHAIN - 1}"]
    assert g.read_runs(run_log) == runs, "the second build ran something"
