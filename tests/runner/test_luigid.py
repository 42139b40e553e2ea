"""``gokart-luigid`` (issue 14): luigid's options, HTTP API and pages with gokart-core's
scheduler. Three worker processes share one graph of 10,001 tasks through it (a fan-in of 9,990
leaves, a join, a chain of 10): every task runs exactly once, and the web UI's task list and
dependency graph answer for the whole graph."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from gokart_core.testing.luigid import Luigid, start_luigid

from .. import parallel_graph as g
from ..parallel_support import (
    _no_worker_left,  # noqa: F401 - an autouse fixture
    finish,
    once_each,
    start_worker,
    write_worker_config,
)

LEAVES, CHAIN = 9990, 10
PROCESSES = 3


def _api(luigid: Luigid, method: str, data: dict[str, Any]) -> Any:
    query = urllib.parse.urlencode({"data": json.dumps(data)})
    with urllib.request.urlopen(f"{luigid.url}/api/{method}?{query}", timeout=60) as answer:
        return json.load(answer)["response"]


@pytest.mark.slow
def test_three_worker_processes_share_a_large_graph_through_gokart_luigid(
    make_workspace: Any, storage_plugins: Any, tmp_path: Path
) -> None:
    luigid = start_luigid(tmp_path / "luigid", gokart=True, scheduler={"retry_count": 3})
    try:
        assert "gokart-luigid: luigid with gokart_core" in luigid.log.read_text()
        cell = "gokart-luigid"
        workspace = make_workspace("local", cell)
        config = write_worker_config(tmp_path / "luigi.cfg", workspace, luigid=luigid)
        run_log = str(tmp_path / "runs.log")
        top = g.root(cell, run_log, LEAVES, CHAIN)
        params = {"cell": cell, "run_log": run_log, "leaves": LEAVES, "k": top.k}
        procs = [start_worker(config, "ParChain", params, workers=1) for _ in range(PROCESSES)]
        for proc in procs:
            code, out = finish(proc, timeout=900)
            assert code == 0, out[-4000:]
        runs = g.read_runs(run_log)
        assert once_each(runs, g.expected(LEAVES, CHAIN)), sorted(runs)[:20]
        assert len({run.pid for run in runs}) > 1  # the three shared the work

        with urllib.request.urlopen(f"{luigid.url}/static/visualiser/index.html") as page:
            assert b"Luigi" in page.read()
        done = _api(luigid, "task_list", {"status": "DONE", "upstream_status": "", "search": ""})
        assert len(done) == LEAVES + 1 + CHAIN
        graph = _api(luigid, "dep_graph", {"task_id": top.task_id})
        assert set(graph) == set(done)
    finally:
        luigid.stop()


@pytest.mark.slow
def test_build_in_three_processes_through_gokart_luigid_returns_the_output(
    make_workspace: Any, storage_plugins: Any, tmp_path: Path
) -> None:
    """``gokart_core.build`` in processes that share one graph through gokart-luigid: luigi
    tells each that the tasks another one ran were "not granted run permission"; the build
    still succeeds once the root is complete, and returns its output in every process."""
    luigid = start_luigid(tmp_path / "luigid", gokart=True)
    try:
        cell = "gokart-luigid-build"
        leaves, chain = 60, 5
        config = write_worker_config(
            tmp_path / "luigi.cfg", make_workspace("local", cell), luigid=luigid
        )
        run_log = str(tmp_path / "runs.log")
        params = {"cell": cell, "run_log": run_log, "leaves": leaves, "chain": chain}
        procs = [
            start_worker(config, "", params, workers=2, entry="build_main")
            for _ in range(PROCESSES)
        ]
        outputs = []
        for proc in procs:
            code, out = finish(proc, timeout=300)
            assert code == 0, out[-4000:]
            outputs.append(out)
        root_value = g.expected(leaves, chain)[f"chain{chain - 1}"]
        for out in outputs:
            assert f"built: {root_value}" in out, out[-2000:]
        assert once_each(g.read_runs(run_log), g.expected(leaves, chain))
    finally:
        luigid.stop()
