from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import luigi.configuration
import pytest

import gokart_core as gokart
import gokart_filelock
from gokart_core.locks.keys import run_lock_key
from gokart_core.locks.run_lock import with_run_lock
from gokart_core.plugin.manager import use_plugin_manager
from gokart_core.testing import LockConformance, builtins_only_plugin_manager
from gokart_core.testing._lock_pipeline import Slow, ValueFormatPlugin
from gokart_filelock._lock import FileLock


class TestFileLockConformance(LockConformance):
    takeover_seconds = 5.0  # the kernel drops a dead holder's flock at once

    @pytest.fixture
    def lock_settings(self, tmp_path: Path) -> dict[str, dict[str, Any]]:
        return {"gokart_file_lock": {"directory": str(tmp_path / "locks")}}


@pytest.fixture
def lock_directory(tmp_path: Path) -> Iterator[Path]:
    """The plugin turned on in this process's luigi config."""
    directory = tmp_path / "locks"
    config = luigi.configuration.get_config()
    config.set("gokart_file_lock", "directory", str(directory))
    luigi.task_register.Register.clear_instance_cache()
    try:
        with use_plugin_manager(builtins_only_plugin_manager(gokart_filelock, ValueFormatPlugin())):
            yield directory
    finally:
        config.remove_option("gokart_file_lock", "directory")
        luigi.task_register.Register.clear_instance_cache()


def test_off_unless_a_directory_is_configured(tmp_path: Path) -> None:
    with use_plugin_manager(builtins_only_plugin_manager(gokart_filelock, ValueFormatPlugin())):
        assert not Slow(workspace_directory=str(tmp_path)).output().locked


def test_target_lock_waits_and_run_lock_fails_fast(lock_directory: Path, tmp_path: Path) -> None:
    task = Slow(workspace_directory=str(tmp_path / "ws"), redis_fail=True)
    target = task.output()
    assert target.locked
    held = FileLock(str(lock_directory), target.lock_key, fail_fast=False)
    released_at: list[float] = []
    with held:

        def release_later() -> None:
            time.sleep(0.3)
            released_at.append(time.monotonic())
            held.__exit__(None, None, None)

        thread = threading.Thread(target=release_later)
        thread.start()
        assert target.exists() is False  # reads take no lock
        assert not released_at
        target.dump("mine")  # a dump waits for the release
        assert time.monotonic() >= released_at[0]
        thread.join()
    with (
        FileLock(str(lock_directory), run_lock_key(task), fail_fast=False),
        pytest.raises(gokart.TaskLockException, match="held by another process"),
    ):
        with_run_lock(task, lambda: None)()


def test_lock_files_stay_in_the_directory(lock_directory: Path, tmp_path: Path) -> None:
    task = Slow(workspace_directory=str(tmp_path / "ws"))
    task.output().dump("x")
    assert (lock_directory / f"{task.output().lock_key}.lock").exists()
