"""Fork safety: a forked child never uses a filesystem (event loop, thread, connection pool) or
a lock that its parent made, and what the parent's existence cache knows stays valid.

fsspec's HTTP filesystem is an async one, like s3fs and gcsfs: using the parent's instance in a
forked child raises ``This class is not fork-safe``. A real HTTP server on a free port of
127.0.0.1 serves the files, and counts the requests.
"""

from __future__ import annotations

import http.server
import os
import pickle
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import fsspec
import fsspec.core
import luigi
import pytest

import gokart_core as gokart
import gokart_pickle
from gokart_core import ProcessLocalStorageError, forksafe, hookimpl
from gokart_core.plugin import manager
from gokart_core.plugin.manager import get_plugins, use_plugin_manager
from gokart_core.target import existence
from gokart_core.target.target import make_target
from gokart_core.testing import builtins_only_plugin_manager


class _Counting(http.server.SimpleHTTPRequestHandler):
    requests: list[str]

    def log_message(self, format: str, *args: Any) -> None:
        type(self).requests.append(f"{self.command} {self.path}")


@pytest.fixture
def http_files(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """(base URL, the requests so far) of an HTTP server serving ``tmp_path``."""
    (tmp_path / "a").mkdir()
    for name in ("x.pkl", "y.pkl", "z.pkl"):
        (tmp_path / "a" / name).write_bytes(pickle.dumps(name))
    handler = type("Handler", (_Counting,), {"requests": []})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), lambda *a: handler(*a, directory=str(tmp_path))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fsspec.AbstractFileSystem.clear_instance_cache()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler.requests
    server.shutdown()
    server.server_close()


def in_child(fn: Callable[[], Any]) -> Any:
    """``fn()`` run in a forked child; its result (or its exception's traceback) comes back."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 0
        try:
            try:
                result: Any = ("ok", fn())
            except BaseException:
                result = ("error", traceback.format_exc())
            with os.fdopen(write, "wb") as out:
                pickle.dump(result, out)
        except BaseException:
            code = 1
        os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as inp:
        data = inp.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0 and data, "the child died"
    kind, value = pickle.loads(data)
    assert kind == "ok", value
    return value


def test_a_child_resolves_its_own_filesystem(http_files: tuple[str, list[str]]) -> None:
    base, _ = http_files
    target = make_target(f"{base}/a/x.pkl")
    assert target.load() == "x.pkl"  # the parent's filesystem: loop and session started
    parents = target.fs

    def child() -> tuple[bool, str, bool]:
        # Without fork safety: RuntimeError("This class is not fork-safe") from fsspec.
        return target.fs is not parents, target.load(), target.exists()

    assert in_child(child) == (True, "x.pkl", True)
    assert target.fs is parents and target.load() == "x.pkl"  # the parent's is untouched


class _CachingPlugin:
    """A third-party storage plugin that keeps one filesystem instance of its own."""

    def __init__(self) -> None:
        self.instance: Any = None

    @hookimpl
    def gokart_get_filesystem(
        self, url: str, storage_options: Mapping[str, Any]
    ) -> tuple[Any, str] | None:
        if not url.startswith("http://"):
            return None
        if self.instance is None:
            self.instance, _ = fsspec.core.url_to_fs(url, skip_instance_cache=True)
        return self.instance, url


def test_a_plugin_that_keeps_its_filesystem_gets_one_of_the_child_there(
    http_files: tuple[str, list[str]],
) -> None:
    base, _ = http_files
    plugin = _CachingPlugin()
    with use_plugin_manager(builtins_only_plugin_manager(plugin, gokart_pickle)):
        target = make_target(f"{base}/a/x.pkl")
        assert target.load() == "x.pkl"

        def child() -> tuple[bool, bool, bool, str]:
            fresh = make_target(f"{base}/a/y.pkl")  # a target made in the child
            return (
                fresh.fs is plugin.instance,
                target.fs is plugin.instance,
                fresh.fs is target.fs,  # one replacement, not one per target
                fresh.load(),
            )

        assert in_child(child) == (False, False, True, "y.pkl")
        assert target.fs is plugin.instance


def test_a_file_made_by_the_plugin_before_the_fork_is_made_again(
    http_files: tuple[str, list[str]],
) -> None:
    """An instance that reached core first in the child, but was made in the parent."""
    base, _ = http_files
    plugin = _CachingPlugin()
    plugin.gokart_get_filesystem(f"{base}/", {})  # made at the plugin's import, say
    plugin.instance.cat(f"{base}/a/x.pkl")  # and used by it: its loop is the parent's
    with use_plugin_manager(builtins_only_plugin_manager(plugin, gokart_pickle)):

        def child() -> tuple[bool, str]:
            target = make_target(f"{base}/a/z.pkl")
            return target.fs is plugin.instance, target.load()

        assert in_child(child) == (False, "z.pkl")


def test_the_child_trusts_what_the_parents_existence_cache_knows(
    http_files: tuple[str, list[str]],
) -> None:
    base, requests = http_files
    targets = [make_target(f"{base}/a/{name}") for name in ("x.pkl", "y.pkl", "z.pkl")]
    with existence.existence_cache.scope():
        assert all(t.exists() for t in targets)  # the second one lists the folder
        asked = len(requests)

        def child() -> list[bool]:
            return [t.exists() for t in targets]

        assert in_child(child) == [True, True, True]
        assert len(requests) == asked, requests[asked:]  # the child asked nothing
        assert all(t.exists() for t in targets)  # and the parent's cache still answers
        assert len(requests) == asked


def test_filesystem_keys_are_equal_in_parent_and_child(http_files: tuple[str, list[str]]) -> None:
    base, _ = http_files
    fs = make_target(f"{base}/a/x.pkl").fs
    key = forksafe.filesystem_key(fs)

    def child() -> tuple[bool, bool]:
        own = get_plugins().filesystem(f"{base}/a/x.pkl", {})[0]
        return own is not fs, forksafe.filesystem_key(own) == key

    assert in_child(child) == (True, True)


def test_locks_held_by_a_parents_thread_are_free_in_the_child() -> None:
    held = threading.Event()
    done = threading.Event()

    def hold() -> None:
        with manager._locks.registry, manager._locks.default:
            held.set()
            done.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(10)
    try:

        def child() -> tuple[bool, bool]:
            return (
                manager._locks.registry.acquire(timeout=2),
                manager._locks.default.acquire(timeout=2),
            )

        assert in_child(child) == (True, True)
    finally:
        done.set()
        thread.join()


def test_generation_counts_forks() -> None:
    here = forksafe.generation()
    assert in_child(forksafe.generation) == here + 1
    assert in_child(lambda: in_child(forksafe.generation)) == here + 2
    assert forksafe.generation() == here
    assert not forksafe.in_task_process()


def test_a_child_never_collects_what_it_inherited_and_the_parent_still_does() -> None:
    """The objects alive at the fork are frozen in the child (its collections skip them, so
    they are never copied for the collector's sake); the parent unfreezes right after."""
    import gc

    assert gc.get_freeze_count() == 0
    made_before = [[]]

    def collected_in_child() -> bool:
        return any(o is made_before for o in gc.get_objects())

    assert in_child(gc.get_freeze_count) > 1000  # every object of the parent, modules and all
    assert not in_child(collected_in_child)
    assert gc.get_freeze_count() == 0  # the parent collects as before
    assert any(o is made_before for o in gc.get_objects())


def test_a_process_that_freezes_by_itself_is_left_to_its_freezing() -> None:
    import gc

    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        made_after = [[]]  # tracked by the collector, in a young generation

        def collected_in_child() -> bool:  # frozen objects are not the collector's any more
            return any(o is made_after for o in gc.get_objects())

        assert in_child(collected_in_child)  # nothing frozen on top of the process's own
        assert gc.get_freeze_count() == frozen  # and not unfrozen behind its back
    finally:
        gc.unfreeze()


# ------------------------------------------------------------ memory:// in forked task processes


class MemLeaf(gokart.TaskOnKart[int]):
    """Each run appends to the file $MEM_RUNS (one O_APPEND write), in whichever process."""

    workspace_directory = "memory://forksafe"
    i: int = luigi.IntParameter()

    def run(self) -> None:
        with open(os.environ["MEM_RUNS"], "a") as log:
            log.write(f"{self.i}\n")
        self.dump(self.i)


class MemRoot(gokart.TaskOnKart[int]):
    workspace_directory = "memory://forksafe"

    def requires(self) -> Any:
        return [MemLeaf(i=i) for i in range(3)]

    def run(self) -> None:
        self.dump(sum(self.load()))


@pytest.fixture
def mem_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    runs = tmp_path / "runs"
    runs.touch()
    monkeypatch.setenv("MEM_RUNS", str(runs))
    fsspec.filesystem("memory").store.clear()
    yield runs
    fsspec.filesystem("memory").store.clear()


def test_a_parallel_build_in_memory_fails_before_anything_runs(mem_runs: Path) -> None:
    with pytest.raises(ProcessLocalStorageError) as raised:
        gokart.build(MemRoot(), workers=2)
    message = str(raised.value)
    assert "'memory://forksafe'" in message and "workers=2" in message
    assert "workers=1" in message and "s3://" in message  # the way out
    assert mem_runs.read_text() == ""
    assert gokart.build(MemRoot(), workers=1) == 3  # one process: fine


def test_force_multiprocessing_counts_as_parallel(
    mem_runs: Path, set_config: Callable[[str, str, str], None]
) -> None:
    set_config("worker", "force_multiprocessing", "true")
    with pytest.raises(ProcessLocalStorageError, match="memory://forksafe"):
        gokart.build(MemRoot(), workers=1)
    assert mem_runs.read_text() == ""


def test_luigi_build_in_memory_fails_the_tasks_and_loses_nothing_silently(
    mem_runs: Path,
) -> None:
    """``luigi.build`` has no gokart-core code at its start: the forked child's dump fails."""
    failures = mem_runs.with_name("failures")

    def on_failure(task: luigi.Task, exception: BaseException) -> None:  # in the child
        with open(failures, "a") as out:
            out.write(f"{type(exception).__name__}: {exception}\n")

    luigi.Task.event_handler(luigi.Event.FAILURE)(on_failure)
    try:
        assert luigi.build([MemRoot()], workers=2, local_scheduler=True) is False
    finally:
        luigi.Task.remove_event_handler(luigi.Event.FAILURE, on_failure)
    errors = failures.read_text().splitlines()
    assert len(errors) == 3, errors
    for error in errors:
        assert error.startswith("ProcessLocalStorageError: cannot dump to 'memory://forksafe/")
        assert "in a task process" in error and "Build with workers=1" in error
    assert sorted(mem_runs.read_text().split()) == ["0", "1", "2"]  # ran in the children
    assert not any(MemLeaf(i=i).complete() for i in range(3))  # and said so: nothing hidden
