"""gokart docs, *How to improve efficiency when running on multiple workers*
(efficient_run_on_multi_workers.rst).

Covered: against a redis-server of the session's own (never one on 6379),
``should_lock_run = True`` on a task class: while another worker holds the task's run lock,
the task fails (``redis_fail=True``: at once) and the build tries it again, running it once the
lock is free; and ``complete_check_at_run``: by default a task whose output appeared between
scheduling and ``run()`` (another worker wrote it) skips its ``run()``; set to False, it runs.

Differs on purpose (docs/migrating.md, *The lock's waiting*): a run that waited for another
worker's run lock finds the output that worker wrote and skips its own ``run()``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import gokart_core as gokart
import gokart_pickle
import gokart_redis
from gokart_core.locks.keys import run_lock_key
from gokart_core.plugin.manager import use_plugin_manager
from gokart_core.testing import builtins_only_plugin_manager

RUNS: list[str] = []


@pytest.fixture(autouse=True)
def workspace(set_config: Any, tmp_path: Path) -> None:
    set_config("TaskOnKart", "workspace_directory", str(tmp_path / "resources"))
    RUNS.clear()


@pytest.fixture
def redis_lock(redis_server: Any, set_config: Any) -> Iterator[Any]:
    redis_server.client().flushall()
    set_config("TaskOnKart", "redis_host", redis_server.host)
    set_config("TaskOnKart", "redis_port", str(redis_server.port))
    with use_plugin_manager(builtins_only_plugin_manager(gokart_pickle, gokart_redis)):
        yield redis_server


class DocsMultiSampleTask2(gokart.TaskOnKart[str]):
    should_lock_run = True

    def run(self) -> None:
        RUNS.append("mine")
        self.dump("mine")


def _hold_run_lock(server: Any, task: gokart.TaskOnKart[Any], then: Any) -> threading.Thread:
    """Another worker: holds ``task``'s run lock for half a second, then does ``then()`` and
    lets it go."""
    lock = server.client().lock(run_lock_key(task), timeout=10, thread_local=False)
    assert lock.acquire(blocking=False)

    def other_worker() -> None:
        time.sleep(0.5)
        then()
        lock.release()

    thread = threading.Thread(target=other_worker)
    thread.start()
    return thread


def test_should_lock_run_fails_then_runs_once_the_lock_is_free(redis_lock: Any) -> None:
    task = DocsMultiSampleTask2(redis_fail=True)
    other = _hold_run_lock(redis_lock, task, lambda: None)  # it ends without output
    started = time.monotonic()
    assert gokart.build(task) == "mine"
    other.join()
    assert time.monotonic() - started >= 0.5
    assert RUNS == ["mine"]


def test_should_lock_run_skips_what_the_other_worker_wrote(redis_lock: Any) -> None:
    task = DocsMultiSampleTask2()
    other = _hold_run_lock(redis_lock, task, lambda: task.output().dump("theirs"))
    assert gokart.build(task) == "theirs"
    other.join()
    assert RUNS == []


class DocsMultiSampleTask1(gokart.TaskOnKart[str]):
    def run(self) -> None:
        RUNS.append(f"SampleTask1 complete_check_at_run={self.complete_check_at_run}")
        self.dump("mine")


class DocsMultiOtherWorker(gokart.TaskOnKart[str]):
    """Runs first (luigi runs the higher priority first), and writes DocsMultiSampleTask1's
    output as another worker would."""

    priority = 100

    check: bool = gokart.ExplicitBoolParameter()

    def run(self) -> None:
        DocsMultiSampleTask1(complete_check_at_run=self.check).output().dump("theirs")
        self.dump("done")


class DocsMultiRoot(gokart.TaskOnKart[str]):
    check: bool = gokart.ExplicitBoolParameter()

    def requires(self) -> Any:
        return [
            DocsMultiOtherWorker(check=self.check),
            DocsMultiSampleTask1(complete_check_at_run=self.check),
        ]

    def run(self) -> None:
        self.dump(self.load()[1])


@pytest.mark.parametrize("check", [True, False])
def test_complete_check_at_run(check: bool) -> None:
    assert DocsMultiSampleTask1().complete_check_at_run is True  # the default
    loaded = gokart.build(DocsMultiRoot(check=check))
    if check:
        assert (loaded, RUNS) == ("theirs", [])
    else:
        assert (loaded, RUNS) == ("mine", ["SampleTask1 complete_check_at_run=False"])
