"""The seed README's first example, run with ``import gokart_core as gokart``."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

import gokart_core as gokart


class TaskA(gokart.TaskOnKart[Any]):
    def output(self) -> Any:
        return self.make_target("task_a.pkl")

    def run(self) -> None:
        self.dump(["gokart is a wrapper", "of the data pipeline library luigi"])


class BasicTask(gokart.TaskOnKart[Any]):
    def requires(self) -> Any:
        return TaskA(workspace_directory=self.workspace_directory)

    def output(self) -> Any:
        # please use TaskOnKart.make_target to make Target.
        return self.make_target("basic_task.pkl")

    def run(self) -> None:
        # load data which TaskA output
        texts = self.load()
        # do something with texts, and make results.
        results = [len(t.split()) for t in texts]
        # save results with the file path {self.workspace_directory}/basic_task_{unique_id}.pkl
        self.dump(results)


def _expected_unique_id(task: gokart.TaskOnKart[Any]) -> str:
    upstream = hashlib.md5(str([{}, "TaskA"]).encode()).hexdigest()
    return hashlib.md5(str([upstream, {}, type(task).__name__]).encode()).hexdigest()


@pytest.fixture(params=["local", "memory"])
def workspace(request: pytest.FixtureRequest, tmp_path: Path, memory_workspace: str) -> str:
    return str(tmp_path / "resources") if request.param == "local" else memory_workspace


def test_basic_task(workspace: str) -> None:
    task = BasicTask(workspace_directory=workspace)
    assert gokart.build(task) == [4, 6]
    uid = _expected_unique_id(task)
    assert task.make_unique_id() == uid
    path = f"{workspace}/basic_task_{uid}.pkl"
    assert task.output().path() == path
    assert gokart.make_target(path).exists()
    assert gokart.make_target(path).load() == [4, 6]
