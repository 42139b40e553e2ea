"""Lock keys equal gokart's for the same tasks, so gokart and gokart-core applications sharing
a workspace and a redis exclude each other."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from gokart.conflict_prevention_lock.task_lock import (
    make_task_lock_key,
    make_task_lock_params_for_run,
)

import gokart_core as gokart
from gokart_core.locks.keys import run_lock_key
from gokart_core.testing._lock_pipeline import Leaf, Mid


class DefaultOutput(gokart.TaskOnKart[Any]):
    def output(self) -> Any:
        # the default path ({module}/{ClassName}.pkl), in the tests' format
        return self.make_target(format="test-json-value")


def test_target_and_run_lock_keys_equal_gokart_s(tmp_path: Path) -> None:
    settings = {"workspace_directory": str(tmp_path), "redis_host": "127.0.0.1", "redis_port": 1}
    cases = [
        (Leaf(i=3, **settings), "leaf/value_3.val"),
        (Mid(j=2, **settings), "mid/value_2.val"),
        (DefaultOutput(**settings), os.path.join(*__name__.split("."), "DefaultOutput.pkl")),
    ]
    for task, relative in cases:
        uid = task.make_unique_id()
        expected = make_task_lock_key(os.path.join(str(tmp_path), relative), uid)
        assert task.output().lock_key == expected
        assert run_lock_key(task) == make_task_lock_params_for_run(task).redis_key
