"""gokart docs, *Task Settings* (task_settings.rst).

Covered: ``[TaskOnKart] workspace_directory=${TASK_WORKSPACE_DIRECTORY}`` in ``base.ini`` read
by ``gokart.add_config``; S3 and GCS workspaces (``s3://bucket/...`` on moto's server,
``gs://bucket/...`` on fake-gcs-server, with test credentials: gokart-s3 / gokart-gcs take the
endpoint from the luigi config); ``rerun``: ``gokart.build(Task(rerun=True))`` and ``python
main.py Task --local-scheduler --rerun`` run the task again under the same file name (``rerun``
is not significant), a complete downstream task is not rerun for an upstream
``TaskA(rerun=True)``, and a new parameter (``__version``) changes the hash so that the
dependents rerun; ``fix_random_seed_methods`` / ``fix_random_seed_value=57``: the same numbers
every time, numpy's those of the page.

Differs: the page's ``random`` numbers are ``random.seed(57)``'s from its 7th draw on, gokart
drawing six itself (its log files' temporary names) before ``run()``; gokart-core's ``run()``
gets the seed's first draws. torch is not a test dependency: its seed method is listed but only
random and numpy are drawn.
Not covered: the ``pip install gokart[s3]`` lines (gokart-core: the gokart-s3 / gokart-gcs
distributions) and GCS_CREDENTIAL / DISCOVER_CACHE_LOCAL_PATH (gokart-gcs reads its
credentials from the luigi config, README).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import luigi
import numpy as np
import pytest

import gokart_core as gokart

from . import run_script

MAIN = """\
import gokart_core as gokart


class Task(gokart.TaskOnKart[str]):
    def run(self):
        print('Task ran')
        self.dump('hello')


if __name__ == '__main__':
    gokart.add_config('base.ini')
    gokart.run()
"""


def test_workspace_from_base_ini_and_rerun_on_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "base.ini").write_text(
        "# base.ini\n[TaskOnKart]\nworkspace_directory=${TASK_WORKSPACE_DIRECTORY}\n"
    )
    env = {"TASK_WORKSPACE_DIRECTORY": str(tmp_path / "workspace")}
    outputs = []
    for extra in ([], [], ["--rerun"]):
        done = run_script(tmp_path, MAIN, "Task", "--local-scheduler", *extra, env=env)
        assert done.returncode == 0, done.stderr[-3000:]
        outputs.append(
            (
                done.stdout.count("Task ran"),
                sorted((tmp_path / "workspace").glob("__main__/Task_*.pkl")),
            )
        )
    assert [ran for ran, _ in outputs] == [1, 0, 1]  # cached, then rerun
    assert outputs[0][1] == outputs[1][1] == outputs[2][1] and len(outputs[0][1]) == 1
    assert not (tmp_path / "resources").exists()


class DocsSettingsStored(gokart.TaskOnKart[str]):
    def output(self) -> Any:
        return self.make_target("stored.pkl")

    def run(self) -> None:
        self.dump("in the bucket")


@pytest.mark.parametrize("kind", ["s3", "gs"])
def test_s3_and_gcs_workspaces(kind: str, make_workspace: Any, storage_plugins: Any) -> None:
    workspace = make_workspace(kind, f"docs-settings-{kind}")
    assert workspace.url.startswith(f"{kind}://")
    task = DocsSettingsStored()
    assert gokart.build(task) == "in the bucket"
    assert task.output().path() == f"{workspace.url}/stored_{task.make_unique_id()}.pkl"
    assert workspace.names() == [f"stored_{task.make_unique_id()}.pkl"]


RUNS: list[str] = []


@pytest.fixture
def ws(tmp_path: Path, set_config: Any) -> Path:
    set_config("TaskOnKart", "workspace_directory", str(tmp_path / "resources"))
    RUNS.clear()
    return tmp_path / "resources"


class DocsSettingsTaskA(gokart.TaskOnKart[str]):
    __version: int = luigi.IntParameter(default=1)

    def run(self) -> None:
        RUNS.append("A")
        self.dump("a")


class DocsSettingsTaskB(gokart.TaskOnKart[str]):
    a: gokart.TaskOnKart[str] = gokart.TaskInstanceParameter()

    def requires(self) -> Any:
        return self.a

    def run(self) -> None:
        RUNS.append("B")
        self.dump(self.load() + "b")


class DocsSettingsTaskC(gokart.TaskOnKart[str]):
    b: gokart.TaskOnKart[str] = gokart.TaskInstanceParameter()

    def requires(self) -> Any:
        return self.b

    def run(self) -> None:
        RUNS.append("C")
        self.dump(self.load() + "c")


def test_rerun(ws: Path) -> None:
    a = DocsSettingsTaskA()
    assert gokart.build(DocsSettingsTaskC(b=DocsSettingsTaskB(a=a))) == "abc"
    assert RUNS == ["A", "B", "C"]
    # rerun=True runs the task again, under the same hash
    assert DocsSettingsTaskA(rerun=True).make_unique_id() == a.make_unique_id()
    RUNS.clear()
    gokart.build(DocsSettingsTaskA(rerun=True))
    assert RUNS == ["A"]
    # TaskA(rerun=True) -> TaskB -> TaskC: not rerunning (TaskC is complete)
    RUNS.clear()
    gokart.build(DocsSettingsTaskC(b=DocsSettingsTaskB(a=DocsSettingsTaskA(rerun=True))))
    assert RUNS == []
    # a new parameter value of TaskA changes its hash, and its dependents' hashes: all rerun
    RUNS.clear()
    versioned = DocsSettingsTaskA(_DocsSettingsTaskA__version=2)
    assert versioned.make_unique_id() != a.make_unique_id()
    assert gokart.build(DocsSettingsTaskC(b=DocsSettingsTaskB(a=versioned))) == "abc"
    assert RUNS == ["A", "B", "C"]


class DocsSettingsRandomTask(gokart.TaskOnKart[dict[str, Any]]):
    def run(self) -> None:
        x = [random.randint(0, 100) for _ in range(0, 10)]
        y = [int(np.random.randint(0, 100)) for _ in range(0, 10)]
        self.dump({"random": x, "numpy": y})


def test_fix_random_seed(ws: Path) -> None:
    def build(rerun: bool) -> Any:
        return gokart.build(
            DocsSettingsRandomTask(
                fix_random_seed_methods=[
                    "random.seed",
                    "numpy.random.seed",
                    "torch.random.manual_seed",
                ],
                fix_random_seed_value=57,
                rerun=rerun,
            )
        )

    first = build(False)
    assert build(True) == first  # the same every time
    assert first["numpy"] == [79, 86, 5, 22, 79, 98, 56, 40, 81, 37]  # the page's
    seeded = random.Random(57)
    assert first["random"] == [seeded.randint(0, 100) for _ in range(10)]
