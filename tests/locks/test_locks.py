"""locks/: gokart's keys, the settings a lock plugin is told, and the error without a plugin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import luigi
import pytest

import gokart_core as gokart
from gokart_core.locks.keys import make_lock_key, run_lock_key
from gokart_core.locks.settings import LockSettings, lock_settings


class Locked(gokart.TaskOnKart[int]):
    x: int = luigi.IntParameter()

    def output(self) -> Any:
        return self.make_target("locked/out.pkl")

    def run(self) -> None:
        self.dump(self.x)


def test_keys_are_gokarts(tmp_path: Path) -> None:
    task = Locked(x=1, workspace_directory=str(tmp_path))
    uid = task.make_unique_id()
    assert make_lock_key(f"{tmp_path}/locked/out.pkl", uid) == f"out_{uid}"
    assert run_lock_key(task) == f"Locked_{uid}-run"
    assert task.output().lock_key == f"out_{uid}"


def test_settings_come_from_the_redis_parameters(tmp_path: Path) -> None:
    task = Locked(
        x=1,
        workspace_directory=str(tmp_path),
        redis_host="cache.internal",
        redis_port=6380,
        redis_timeout=30,
        redis_fail=True,
    )
    run = lock_settings(task, run=True)
    assert run == LockSettings("cache.internal", 6380, 30.0, fail_fast=True, owner="Locked")
    assert run.server_given
    # A target's lock is held for one file operation: it always waits.
    assert lock_settings(task, run=False).fail_fast is False
    assert not lock_settings(Locked(x=1), run=True).server_given


def test_a_lock_server_without_a_lock_plugin_fails_at_scheduling(tmp_path: Path) -> None:
    task = Locked(x=2, workspace_directory=str(tmp_path), redis_host="h", redis_port=1)
    with pytest.raises(gokart.PluginNotInstalledError, match="pip install gokart-redis") as info:
        task.output()
    assert "Locked" in str(info.value) and "redis_host='h'" in str(info.value)
