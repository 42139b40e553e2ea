"""The redis lock under real contention and faults, against a real redis-server."""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path
from typing import Any

import luigi
import pytest
import redis

import gokart_core as gokart
from gokart_core.locks.keys import run_lock_key
from gokart_core.locks.run_lock import with_run_lock
from gokart_core.testing import LockConformance, LockPipeline
from gokart_core.testing._lock_pipeline import Slow


class TestRedisLockConformance(LockConformance):
    takeover_seconds = 2 + 5  # the lease, and the time to finish the task

    @pytest.fixture
    def lock_settings(self, redis_server: Any) -> dict[str, dict[str, Any]]:
        host, port = redis_server.host, redis_server.port
        return {"TaskOnKart": {"redis_host": host, "redis_port": port, "redis_timeout": 2}}


@pytest.fixture
def pipeline(tmp_path: Path, redis_server: Any) -> LockPipeline:
    return LockPipeline(
        tmp_path,
        {"TaskOnKart": {"redis_host": redis_server.host, "redis_port": redis_server.port}},
    )


def test_a_run_longer_than_the_lease_keeps_its_lock(
    pipeline: LockPipeline, redis_server: Any
) -> None:
    pipeline.configure(redis_timeout=1)
    holder = pipeline.start("Slow", RUN_SLEEP="4")
    pipeline.wait_for_run("Slow", holder)
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
    assert pipeline.finish(holder) == "slow done"
    assert contender.acquire(blocking=False)  # released at the end
    contender.release()


def test_redis_stopped_mid_build_names_the_server_and_writes_nothing(
    start_redis_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOKART_REDIS_RETRY_SECONDS", "1")  # it does not come back
    server = start_redis_server()
    task = StopsRedis(
        workspace_directory=str(tmp_path), redis_host=server.host, redis_port=server.port
    )
    with pytest.raises(gokart.GokartBuildError) as info:
        gokart.build(task)
    (errors,) = info.value.raised_exceptions.values()
    assert isinstance(errors[0], gokart.LockError)
    assert f"{server.host}:{server.port}" in str(errors[0])
    assert list(tmp_path.iterdir()) == []


class StopsRedis(gokart.TaskOnKart[str]):
    """Shuts the redis server down in the middle of its run, before its dump."""

    def output(self) -> Any:
        return self.make_target("stops_redis.val")

    def run(self) -> None:
        # The server may close the connection as it stops.
        with contextlib.suppress(redis.exceptions.ConnectionError):
            redis.Redis(host=self.redis_host, port=self.redis_port).shutdown(nosave=True)
        self.dump("never written")


class LockedPlain(gokart.TaskOnKart[str]):
    def output(self) -> Any:
        return self.make_target("plain.val")

    def run(self) -> None:
        self.dump("mine")


def test_a_dump_does_not_overwrite_an_output_that_appeared(
    tmp_path: Path, redis_server: Any
) -> None:
    task = LockedPlain(
        workspace_directory=str(tmp_path),
        redis_host=redis_server.host,
        redis_port=redis_server.port,
    )
    task.output().dump("theirs")  # another application finished first
    task.dump("mine")
    assert task.output().load() == "theirs"


def test_target_operations_wait_for_the_lock(tmp_path: Path, redis_server: Any) -> None:
    task = LockedPlain(
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
    assert target.exists() is False  # reads take no lock
    assert not released_at
    target.dump("mine")  # a dump waits for the lock
    done_at = time.monotonic()
    thread.join()
    assert done_at >= released_at[0]
    assert target.load() == "mine"


def test_a_held_run_lock_fails_fast_with_redis_fail(tmp_path: Path, redis_server: Any) -> None:
    task = LockedPlain(
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


def test_no_lock_without_host_and_port(tmp_path: Path, redis_server: Any) -> None:
    only_host = LockedPlain(workspace_directory=str(tmp_path), redis_host=redis_server.host)
    assert not only_host.output().locked
    both = LockedPlain(
        workspace_directory=str(tmp_path),
        redis_host=redis_server.host,
        redis_port=redis_server.port,
    )
    assert both.output().locked


def test_parameters_from_the_command_line(tmp_path: Path) -> None:
    with luigi.cmdline_parser.CmdlineParser.global_instance(
        ["LockedPlain", "--redis-host=localhost", "--redis-port=6390", "--redis-fail"]
    ) as parser:
        task = parser.get_task_obj()
    assert (task.redis_host, task.redis_port, task.redis_fail) == ("localhost", 6390, True)
