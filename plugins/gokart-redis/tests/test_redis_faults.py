"""The lock when redis itself has trouble (issue 15), each on a redis-server of the test's own:
paused (SIGSTOP) for longer than the client's timeout, restarted with its data, restarted empty.
Six processes build one 20-task graph through each fault, and every run() is counted."""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import luigi
import luigi.configuration
import pytest

import gokart_core as gokart
from gokart_core.locks.keys import run_lock_key
from gokart_core.plugin_api import LockError, LockSettings
from gokart_core.testing import LockPipeline
from gokart_core.testing._lock_pipeline import EXPECTED_ROOT, ROOT_TASKS
from gokart_redis import _redis_lock
from gokart_redis._lock import _POLL_SECONDS
from gokart_redis.testing import RedisServer, start_redis, start_sentinel_set

PROCESSES = 6


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = start_redis(tmp_path / "redis")
    yield server
    server.stop()


def _paused(server: RedisServer, seconds: float) -> threading.Thread:
    """Pause the server now and resume it after ``seconds``, in a thread."""
    server.pause()
    thread = threading.Thread(target=lambda: (time.sleep(seconds), server.resume()))
    thread.start()
    return thread


def test_an_acquire_that_gave_up_during_a_stall_leaves_no_key(
    own_redis: RedisServer, redis_config: Any
) -> None:
    """The acquire times out (and its retries give up) while redis is stopped; redis then
    runs the queued commands. The key must not be left for the lease (180 s here)."""
    redis_config(socket_timeout=0.5, retry_seconds=0.5)
    lock = _redis_lock("stalled", LockSettings(host=own_redis.host, port=own_redis.port))
    assert lock is not None
    resumer = _paused(own_redis, 3.0)
    started = time.monotonic()
    with pytest.raises(LockError) as info, lock:
        pass
    assert time.monotonic() - started < 3.0  # gave up while redis was still stopped
    assert f"{own_redis.host}:{own_redis.port}" in str(info.value)
    resumer.join()
    while not own_redis.ping():
        time.sleep(0.01)
    time.sleep(_POLL_SECONDS)
    assert own_redis.client().exists("stalled") == 0


def test_a_stall_within_the_retry_time_is_ridden_out(
    own_redis: RedisServer, redis_config: Any
) -> None:
    redis_config(socket_timeout=0.5, retry_seconds=20)
    lock = _redis_lock("stalled", LockSettings(host=own_redis.host, port=own_redis.port))
    assert lock is not None
    resumer = _paused(own_redis, 2.0)
    with lock:
        assert own_redis.client().get("stalled") is not None
    resumer.join()
    assert own_redis.client().exists("stalled") == 0


def test_retries_are_logged_without_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "pw-for-the-log-test"
    server = start_redis(tmp_path / "secured", password=secret)
    try:
        monkeypatch.setenv("GOKART_REDIS_PASSWORD", secret)
        monkeypatch.setenv("GOKART_REDIS_SOCKET_TIMEOUT", "0.3")
        lock = _redis_lock(
            "logged", LockSettings(host=f"redis://:{secret}@127.0.0.1:{server.port}")
        )
        assert lock is not None
        resumer = _paused(server, 1.0)
        with caplog.at_level("WARNING"), lock:
            pass
        resumer.join()
        retried = [r.getMessage() for r in caplog.records if "trying again" in r.getMessage()]
        assert retried and f"127.0.0.1:{server.port}" in retried[0]
        assert not any(secret in r.getMessage() for r in caplog.records)
        assert secret not in repr(lock) and secret not in str(lock.settings)  # type: ignore[attr-defined]
    finally:
        server.stop()


class Held(gokart.TaskOnKart[str]):
    """Holds its run lock until ``go`` exists, then dumps."""

    go: str = luigi.Parameter()

    def output(self) -> Any:
        return self.make_target("held.val")

    def run(self) -> None:
        Path(self.go + ".started").touch()
        while not Path(self.go).exists():
            time.sleep(0.02)
        self.dump("held")


@pytest.mark.parametrize("taken", [False, True], ids=["nobody-took-it", "another-took-it"])
def test_redis_restarted_empty_while_a_run_lock_is_held(
    own_redis: RedisServer, tmp_path: Path, taken: bool
) -> None:
    """The restart loses the key. If nobody took it, the holder sets it again and publishes;
    if another holder did, the first one publishes nothing and says so."""
    go = str(tmp_path / "go")
    task = Held(
        go=go,
        workspace_directory=str(tmp_path / "ws"),
        redis_host=own_redis.host,
        redis_port=own_redis.port,
        should_lock_run=True,
    )
    key = run_lock_key(task)
    other = own_redis.client().lock(key, timeout=30, thread_local=False)
    done: list[bool] = []

    def fault() -> None:  # luigi's worker wants the main thread: the fault comes from here
        deadline = time.monotonic() + 60
        while not Path(go + ".started").exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        own_redis.restart(keep_data=False)
        if taken:
            done.append(other.acquire(blocking=False))
        Path(go).touch()

    thread = threading.Thread(target=fault)
    thread.start()
    result: dict[str, Any] = {}
    try:
        result["value"] = gokart.build(task)
    except gokart.GokartBuildError as exc:
        result["error"] = exc
    thread.join()
    assert done == ([True] if taken else [])
    if taken:
        (errors,) = result["error"].raised_exceptions.values()
        assert isinstance(errors[-1], LockError)
        assert "not publishing" in str(errors[-1]) and key in str(errors[-1])
        assert not task.output().exists()
        assert own_redis.client().get(key) == other.local.token  # theirs, untouched
    else:
        assert result.get("value") == "held", result
        assert own_redis.client().exists(key) == 0  # set again, then released


def _six_builds(
    pipeline: LockPipeline, fault: Callable[[], None], after: float = 1.0
) -> collections.Counter[str]:
    procs = [pipeline.start("Root", RUN_SLEEP="0.15") for _ in range(PROCESSES)]
    time.sleep(after)
    assert len(pipeline.runs()) < len(ROOT_TASKS)  # the fault comes in the middle of the builds
    fault()
    for proc in procs:
        assert pipeline.finish(proc) == EXPECTED_ROOT
    return collections.Counter(pipeline.runs())


@pytest.fixture
def pipeline(tmp_path: Path, own_redis: RedisServer) -> LockPipeline:
    return LockPipeline(
        tmp_path,
        {
            "TaskOnKart": {
                "redis_host": own_redis.host,
                "redis_port": own_redis.port,
                "should_lock_run": "true",
            },
            "gokart_redis": {"socket_timeout": 1, "retry_seconds": 30},
        },
    )


@pytest.mark.slow
def test_six_builds_through_a_stall_longer_than_the_timeout(
    pipeline: LockPipeline, own_redis: RedisServer
) -> None:
    runs = _six_builds(pipeline, lambda: _paused(own_redis, 2.5).join())
    assert set(runs) == ROOT_TASKS and set(runs.values()) == {1}, runs


@pytest.mark.slow
def test_six_builds_through_a_restart_with_the_data(
    pipeline: LockPipeline, own_redis: RedisServer
) -> None:
    runs = _six_builds(pipeline, lambda: own_redis.restart(keep_data=True, delay=1.5))
    assert set(runs) == ROOT_TASKS and set(runs.values()) == {1}, runs


@pytest.mark.slow
def test_six_builds_through_a_restart_without_the_data(
    pipeline: LockPipeline, own_redis: RedisServer
) -> None:
    """The one fault the lock cannot exclude a double run through (the README says so): every
    build still finishes with the right value, and every task ran."""
    runs = _six_builds(pipeline, lambda: own_redis.restart(keep_data=False, delay=1.5))
    assert set(runs) == ROOT_TASKS, runs


@pytest.mark.slow
def test_six_builds_through_a_sentinel_failover(tmp_path: Path) -> None:
    """The master is SIGKILLed mid-build; the sentinel promotes the replica and every build
    goes on through it."""
    group = start_sentinel_set(tmp_path / "sentinel")
    try:
        pipeline = LockPipeline(
            tmp_path / "builds",
            {
                "TaskOnKart": {"should_lock_run": "true"},
                "gokart_redis": {
                    "sentinels": group.sentinels,
                    "sentinel_service": group.service,
                    "socket_timeout": 1,
                    "retry_seconds": 30,
                },
            },
        )
        (tmp_path / "builds").mkdir()
        runs = _six_builds(pipeline, group.master.kill)
        assert group.master_address()[1] == group.replica.port  # it did fail over
        assert set(runs) == ROOT_TASKS and set(runs.values()) == {1}, runs
    finally:
        group.stop()
