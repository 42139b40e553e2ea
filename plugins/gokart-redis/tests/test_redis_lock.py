"""The redis lock under real contention and faults, against a real redis-server."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import luigi
import pytest
from conftest import Pipeline, RedisServer, start_redis
from lock_pipeline import EXPECTED_ROOT, Slow, StopsRedis

import gokart_core as gokart
from gokart_core.run_with_lock import run_lock_key, with_run_lock

TASKS = {f"Leaf{i}" for i in range(10)} | {f"Mid{j}" for j in range(9)} | {"Root"}


def _finish(procs: list[Any], timeout: float = 120) -> list[tuple[int, str, str]]:
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=timeout)
        results.append((proc.returncode, out, err))
    return results


@pytest.mark.parametrize("redis_fail", [False, True], ids=["wait", "fail-and-retry"])
def test_six_processes_run_every_task_exactly_once(pipeline: Pipeline, redis_fail: bool) -> None:
    pipeline.config(should_lock_run="true", redis_fail=str(redis_fail).lower())
    procs = [pipeline.start("Root", RUN_SLEEP="0.1") for _ in range(6)]
    for code, out, err in _finish(procs):
        assert code == 0, err[-3000:]
        assert json.loads(out.strip().splitlines()[-1]) == EXPECTED_ROOT
    runs = Counter(pipeline.runs())
    assert set(runs) == TASKS
    assert all(n == 1 for n in runs.values()), runs


def test_killed_holder_loses_the_lock_after_the_lease(pipeline: Pipeline) -> None:
    pipeline.config(redis_timeout=2)
    holder = pipeline.start("Slow", RUN_SLEEP="60")
    deadline = time.monotonic() + 30
    while "Slow" not in pipeline.runs():
        assert time.monotonic() < deadline and holder.poll() is None, holder.communicate()
        time.sleep(0.05)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    killed_at = time.monotonic()

    ((code, out, err),) = _finish([pipeline.start("Slow", RUN_SLEEP="0")])
    assert code == 0, err[-3000:]
    assert json.loads(out.strip().splitlines()[-1]) == "slow done"
    assert time.monotonic() - killed_at < 2 + 5
    assert pipeline.runs() == ["Slow", "Slow"]


def test_a_run_longer_than_the_lease_keeps_its_lock(
    pipeline: Pipeline, redis_server: RedisServer
) -> None:
    pipeline.config(redis_timeout=1)
    holder = pipeline.start("Slow", RUN_SLEEP="4")
    deadline = time.monotonic() + 30
    while "Slow" not in pipeline.runs():
        assert time.monotonic() < deadline and holder.poll() is None, holder.communicate()
        time.sleep(0.05)
    key = run_lock_key(Slow(workspace_directory=str(pipeline.root / "ws")))
    contender = redis_server.client().lock(key, timeout=1)
    attempts = 0
    # Until the run has dumped its output (the last thing it does inside the lock).
    while not list((pipeline.root / "ws").glob("slow_*.val")):
        assert holder.poll() is None, holder.communicate()
        assert not contender.acquire(blocking=False), "a second contender entered"
        attempts += 1
        time.sleep(0.1)
    assert attempts > 25  # the run lasted several leases
    ((code, _, err),) = _finish([holder])
    assert code == 0, err[-3000:]
    assert contender.acquire(blocking=False)  # released at the end
    contender.release()


def test_redis_stopped_mid_build_names_the_server_and_writes_nothing(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    server = start_redis(tmp_path_factory.mktemp("redis-stopped"))
    try:
        task = StopsRedis(
            workspace_directory=str(tmp_path), redis_host=server.host, redis_port=server.port
        )
        with pytest.raises(gokart.GokartBuildError) as info:
            gokart.build(task)
        (errors,) = info.value.raised_exceptions.values()
        assert isinstance(errors[0], gokart.LockError)
        assert f"{server.host}:{server.port}" in str(errors[0])
        assert list(tmp_path.iterdir()) == []
    finally:
        server.stop()


class Plain(gokart.TaskOnKart[str]):
    def output(self) -> Any:
        return self.make_target("plain.val")

    def run(self) -> None:
        self.dump("mine")


def test_a_dump_does_not_overwrite_an_output_that_appeared(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    task = Plain(
        workspace_directory=str(tmp_path),
        redis_host=redis_server.host,
        redis_port=redis_server.port,
    )
    task.output().dump("theirs")  # another application finished first
    task.dump("mine")
    assert task.output().load() == "theirs"


def test_target_operations_wait_for_the_lock(tmp_path: Path, redis_server: RedisServer) -> None:
    task = Plain(
        workspace_directory=str(tmp_path),
        redis_host=redis_server.host,
        redis_port=redis_server.port,
        redis_fail=True,  # concerns the run lock only: target locks always wait
    )
    target = task.output()
    other = redis_server.client().lock(target.lock_key, timeout=5, thread_local=False)
    assert other.acquire(blocking=False)
    released_at: list[float] = []

    def release_later() -> None:
        time.sleep(0.5)
        released_at.append(time.monotonic())
        other.release()

    thread = threading.Thread(target=release_later)
    thread.start()
    assert target.exists() is False
    done_at = time.monotonic()
    thread.join()
    assert done_at >= released_at[0]


def test_a_held_run_lock_fails_fast_with_redis_fail(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    task = Plain(
        workspace_directory=str(tmp_path),
        redis_host=redis_server.host,
        redis_port=redis_server.port,
        redis_fail=True,
    )
    key = run_lock_key(task)
    other = redis_server.client().lock(key, timeout=5)
    assert other.acquire(blocking=False)
    try:
        with pytest.raises(gokart.TaskLockException, match=key):
            with_run_lock(task, lambda: None)()
    finally:
        other.release()


def test_no_lock_without_host_and_port(tmp_path: Path, redis_server: RedisServer) -> None:
    only_host = Plain(workspace_directory=str(tmp_path), redis_host=redis_server.host)
    assert not only_host.output().locked
    both = Plain(
        workspace_directory=str(tmp_path),
        redis_host=redis_server.host,
        redis_port=redis_server.port,
    )
    assert both.output().locked


def test_parameters_from_the_command_line(tmp_path: Path) -> None:
    with luigi.cmdline_parser.CmdlineParser.global_instance(
        ["Plain", "--redis-host=localhost", "--redis-port=6390", "--redis-fail"]
    ) as parser:
        task = parser.get_task_obj()
    assert (task.redis_host, task.redis_port, task.redis_fail) == ("localhost", 6390, True)
