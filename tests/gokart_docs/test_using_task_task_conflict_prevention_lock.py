"""gokart docs, *Task conflict prevention lock* (using_task_task_conflict_prevention_lock.rst).

Covered, with a redis-server of the session's own (never the one on 6379): ``python main.py
sample.SomeTask --local-scheduler --redis-host=... --redis-port=...`` runs and talks to that
redis; ``[TaskOnKart] redis_host / redis_port`` in the config lock every TaskOnKart's outputs
(with gokart's key, ``{file name}_{unique_id}``): a dump waits while another node holds the
output's lock.
Differs: a load takes no lock in gokart-core; since every write is atomic (a temporary renamed
into place) a load during another node's dump reads the complete previous file, never a partial
one, so it need not wait. (README *locks* says that load holds the lock; the code and the
gokart-redis tests do not.)
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
from gokart_core.plugin.manager import use_plugin_manager
from gokart_core.testing import builtins_only_plugin_manager

from . import run_script

SAMPLE = """\
import gokart_core as gokart


class SomeTask(gokart.TaskOnKart[str]):
    def run(self):
        self.dump('locked run')
"""

MAIN = """\
import gokart_core as gokart

if __name__ == '__main__':
    gokart.run()
"""


def _commands(server: Any) -> int:
    return int(server.client().info("stats")["total_commands_processed"])


def test_redis_host_and_port_on_the_command_line(tmp_path: Path, redis_server: Any) -> None:
    (tmp_path / "sample.py").write_text(SAMPLE)
    before = _commands(redis_server)
    done = run_script(
        tmp_path,
        MAIN,
        "sample.SomeTask",
        "--local-scheduler",
        f"--redis-host={redis_server.host}",
        f"--redis-port={redis_server.port}",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert list((tmp_path / "resources" / "sample").glob("SomeTask_*.pkl"))
    assert _commands(redis_server) > before + 2  # acquired and released at least


class DocsLockSomeTask(gokart.TaskOnKart[str]):
    def output(self) -> Any:
        return self.make_target("some_task.pkl")

    def run(self) -> None:
        self.dump("mine")


@pytest.fixture
def configured(redis_server: Any, set_config: Any, tmp_path: Path) -> Iterator[Any]:
    set_config("TaskOnKart", "workspace_directory", str(tmp_path / "resources"))
    set_config("TaskOnKart", "redis_host", redis_server.host)
    set_config("TaskOnKart", "redis_port", str(redis_server.port))
    with use_plugin_manager(builtins_only_plugin_manager(gokart_pickle, gokart_redis)):
        yield redis_server


def _other_node_holds(
    server: Any, key: str, seconds: float
) -> tuple[threading.Thread, list[float]]:
    lock = server.client().lock(key, timeout=10, thread_local=False)
    assert lock.acquire(blocking=False)
    released: list[float] = []

    def release_later() -> None:
        time.sleep(seconds)
        released.append(time.monotonic())
        lock.release()

    thread = threading.Thread(target=release_later)
    thread.start()
    return thread, released


def test_config_file_locks_the_outputs(configured: Any) -> None:
    task = DocsLockSomeTask()
    target = task.output()
    assert target.locked
    assert target.lock_key == f"some_task_{task.make_unique_id()}"
    thread, released = _other_node_holds(configured, target.lock_key, 0.5)
    target.dump("mine")  # waits for the other node
    dumped_at = time.monotonic()
    thread.join()
    assert released and dumped_at >= released[0]
    assert gokart.build(task) == "mine"


def test_a_load_reads_a_complete_file_without_waiting(configured: Any) -> None:
    task = DocsLockSomeTask()
    task.output().dump("previous")
    thread, released = _other_node_holds(configured, task.output().lock_key, 0.5)
    assert task.output().load() == "previous"
    assert not released  # it did not wait
    thread.join()
