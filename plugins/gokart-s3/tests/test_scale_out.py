"""Scale-out end to end: luigid, three worker processes, an S3 workspace (moto) and the redis
lock, all real servers on 127.0.0.1 started by the tests."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

GRAPH = Path(__file__).with_name("scale_out_graph.py")
BUCKET = "gokart-test"  # conftest's
PREFIX = "scale"
LEAVES, MIDS, TOPS = 30, 15, 4
ALL_TASKS = (
    {f"GraphLeaf{i}" for i in range(LEAVES)}
    | {f"GraphMid{j}" for j in range(MIDS)}
    | {f"GraphTop{k}" for k in range(TOPS)}
    | {"GraphRoot"}
)


class Workers:
    """Worker processes of one graph: one luigi config, one run log."""

    def __init__(self, root: Path, s3: Any, luigid: int, redis_port: int) -> None:
        self.root = root
        self.log = root / "runs.log"
        self.config = root / "luigi.cfg"
        self.config.write_text(
            "[TaskOnKart]\n"
            f"workspace_directory=s3://{BUCKET}/{PREFIX}\n"
            "redis_host=127.0.0.1\n"
            f"redis_port={redis_port}\n"
            "redis_timeout=3\n"
            "should_lock_run=true\n"
            "[gokart_s3]\n"
            f"endpoint_url={s3.endpoint_url}\n"
            "[core]\n"
            # luigi's pid lock allows one process per command line per machine; these
            # workers share one machine.
            "no_lock=true\n"
            "scheduler_host=127.0.0.1\n"
            f"scheduler_port={luigid}\n"
            "[worker]\n"
            # Stay while the graph has pending tasks (others may be running their dependencies)
            # and ask for work often.
            "keep_alive=true\n"
            "wait_interval=0.1\n"
            "wait_jitter=0.2\n"
            "ping_interval=0.5\n"
            "[retcode]\n"
            # luigi counts a task that another worker ran, or is running as this one exits, as
            # "not run" / "already running" by this one: no failure when workers share a
            # graph (and no_lock is set, so no pid lock can be "already running" either).
            "already_running=0\n"
            "not_run=0\n"
        )

    def start(self, sleep: float) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, str(GRAPH), "GraphRoot", "--workers", "1"],
            cwd=self.root,
            env={
                **os.environ,
                "LUIGI_CONFIG_PATH": str(self.config),
                "RUN_LOG": str(self.log),
                "RUN_SLEEP": str(sleep),
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def runs(self) -> list[tuple[str, int]]:
        if not self.log.exists():
            return []
        return [
            (n, int(p)) for n, p in (line.split() for line in self.log.read_text().splitlines())
        ]


def check_outputs(s3: Any) -> None:
    """The bucket holds exactly the 50 outputs (beside the logs), each a complete pickle of the
    right value."""
    keys = [k for k in s3.object_keys(f"{PREFIX}/") if not k.startswith(f"{PREFIX}/log/")]
    assert len(keys) == len(ALL_TASKS), keys
    client = s3.client()
    values = {}
    for key in keys:
        body = client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        values[key.split("/")[-1].rsplit("_", 1)[0]] = pickle.loads(body)
    assert values["root"] == sum(range(LEAVES))
    assert [values[f"leaf_{i}"] for i in range(LEAVES)] == list(range(LEAVES))
    assert [values[f"mid_{j}"] for j in range(MIDS)] == [4 * j + 1 for j in range(MIDS)]
    assert sum(values[f"top_{k}"] for k in range(TOPS)) == sum(range(LEAVES))


@pytest.mark.slow
def test_three_workers_run_the_graph_once(
    s3: Any, luigid: int, redis_port: int, tmp_path: Path
) -> None:
    workers = Workers(tmp_path, s3, luigid, redis_port)
    procs = [workers.start(sleep=0.15) for _ in range(3)]
    outs = []
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, out[-4000:]
        outs.append(out)
    runs = Counter(name for name, _ in workers.runs())
    assert set(runs) == ALL_TASKS
    assert all(n == 1 for n in runs.values()), runs
    assert len({pid for _, pid in workers.runs()}) > 1, [o[-1500:] for o in outs]  # shared
    check_outputs(s3)
    assert s3.multipart_uploads() == []


@pytest.mark.slow
def test_a_worker_killed_mid_run_the_others_finish(
    s3: Any, luigid: int, redis_port: int, tmp_path: Path
) -> None:
    workers = Workers(tmp_path, s3, luigid, redis_port)
    procs = {p.pid: p for p in (workers.start(sleep=0.3) for _ in range(3))}
    deadline = time.monotonic() + 60
    while len(workers.runs()) < 10:
        assert time.monotonic() < deadline, workers.runs()
        time.sleep(0.02)
    # The worker that started a run last is in the middle of it (each run sleeps 0.3 s).
    victim_task, victim = workers.runs()[-1]
    os.kill(victim, signal.SIGKILL)
    procs.pop(victim).wait()
    for proc in procs.values():
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, out[-4000:]
    runs = Counter(name for name, _ in workers.runs())
    assert set(runs) == ALL_TASKS
    # Only the task cut short ran twice: once more by a survivor, once luigid had dropped
    # the dead worker and its redis lease had expired.
    assert {name for name, n in runs.items() if n > 1} == {victim_task}, runs
    assert runs[victim_task] == 2
    check_outputs(s3)
    # Small outputs are one PUT each: a kill never leaves an upload behind either.
    assert s3.multipart_uploads() == []
