"""gokart docs, *Intro To Gokart* (intro_to_gokart.rst).

Covered: the quickstart script (``gokart.build`` returns what ``run()`` dumped; the output under
``resources/__main__/`` and the five supplementary logs, with the unique id the page shows;
the output unpickled by hand), ``gokart.run()`` from the shell and with an argument list,
``gokart.build(..., return_value=False)`` and ``log_level``, and ``GokartBuildError`` on a
failed task.
Not covered: the ``pip install gokart[...]`` lines (gokart-core's plugins are installed by
distribution, README *Install*).
"""

from __future__ import annotations

import logging
import pickle
from pathlib import Path
from typing import Any

import luigi
import pytest

import gokart_core as gokart

from . import files_under, run_script

QUICKSTART = """\
import gokart_core as gokart

class Example(gokart.TaskOnKart[str]):
    def run(self):
        self.dump('Hello, world!')

task = Example()
output = gokart.build(task)
print(output)
"""

# The id the page shows for Example: gokart's formula, no parameter of its own.
EXAMPLE_ID = "8441c59b5ce0113396d53509f19371fb"


def test_quickstart_prints_the_dump_and_writes_resources(tmp_path: Path) -> None:
    done = run_script(tmp_path, QUICKSTART, name="example.py")
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.splitlines()[-1] == "Hello, world!"
    resources = tmp_path / "resources"
    assert files_under(resources) == sorted(
        [
            f"__main__/Example_{EXAMPLE_ID}.pkl",
            f"log/module_versions/Example_{EXAMPLE_ID}.txt",
            f"log/processing_time/Example_{EXAMPLE_ID}.pkl",
            f"log/random_seed/Example_{EXAMPLE_ID}.pkl",
            f"log/task_log/Example_{EXAMPLE_ID}.pkl",
            f"log/task_params/Example_{EXAMPLE_ID}.pkl",
        ]
    )
    with open(resources / "__main__" / f"Example_{EXAMPLE_ID}.pkl", "rb") as f:
        assert pickle.load(f) == "Hello, world!"
    # the logs: module versions as text, the others pickles
    versions = (resources / "log" / "module_versions" / f"Example_{EXAMPLE_ID}.txt").read_text()
    assert "luigi==" in versions
    with open(resources / "log" / "task_params" / f"Example_{EXAMPLE_ID}.pkl", "rb") as f:
        assert pickle.load(f) == {}
    with open(resources / "log" / "task_log" / f"Example_{EXAMPLE_ID}.pkl", "rb") as f:
        # gokart's task log records the paths the task dumped to
        assert pickle.load(f) == {"file_path": [f"./resources/__main__/Example_{EXAMPLE_ID}.pkl"]}
    with open(resources / "log" / "processing_time" / f"Example_{EXAMPLE_ID}.pkl", "rb") as f:
        assert isinstance(pickle.load(f), float)
    with open(resources / "log" / "random_seed" / f"Example_{EXAMPLE_ID}.pkl", "rb") as f:
        assert pickle.load(f)["seed"] == int(EXAMPLE_ID, 16) % (2**32 - 1)


SAMPLE = """\
import gokart_core as gokart
import luigi

class SampleTask(gokart.TaskOnKart[str]):
    param = luigi.Parameter()

    def run(self):
        self.dump(self.param)

gokart.run()
"""


def _only_output(resources: Path, task_name: str) -> Path:
    outputs = list((resources / "__main__").glob(f"{task_name}_*.pkl"))
    assert len(outputs) == 1, outputs
    return outputs[0]


def test_run_from_the_shell(tmp_path: Path) -> None:
    done = run_script(tmp_path, SAMPLE, "SampleTask", "--local-scheduler", "--param=hello")
    assert done.returncode == 0, done.stderr[-3000:]
    with open(_only_output(tmp_path / "resources", "SampleTask"), "rb") as f:
        assert pickle.load(f) == "hello"
    assert "1 ran successfully" in done.stderr


class DocsIntroSampleTask(gokart.TaskOnKart[str]):
    param: str = luigi.Parameter()

    def run(self) -> None:
        self.dump(self.param)


@pytest.fixture
def workspace(tmp_path: Path, set_config: Any) -> Path:
    ws = tmp_path / "resources"
    set_config("TaskOnKart", "workspace_directory", str(ws))
    return ws


def test_run_with_an_argument_list_is_the_shell_command(workspace: Path) -> None:
    with pytest.raises(SystemExit) as exited:
        # --no-lock: luigi's pid lock takes one command line once per process (pytest's)
        gokart.run(["DocsIntroSampleTask", "--local-scheduler", "--param=hello", "--no-lock"])
    assert exited.value.code in (0, None)
    task = DocsIntroSampleTask(param="hello")
    assert task.output().load() == "hello"
    assert Path(task.output().path()).is_relative_to(workspace)


def test_build_inline_with_and_without_return_value(workspace: Path) -> None:
    assert gokart.build(DocsIntroSampleTask(param="hello"), return_value=False) is None
    assert DocsIntroSampleTask(param="hello").complete()
    assert (
        gokart.build(
            DocsIntroSampleTask(param="again"), return_value=False, log_level=logging.DEBUG
        )
        is None
    )
    assert gokart.build(DocsIntroSampleTask(param="hello")) == "hello"


class DocsIntroFailingTask(gokart.TaskOnKart[str]):
    def run(self) -> None:
        raise RuntimeError("the example's failure")


def test_a_failed_task_raises_gokart_build_error(workspace: Path) -> None:
    with pytest.raises(gokart.GokartBuildError):
        gokart.build(DocsIntroFailingTask(), log_level=logging.DEBUG)
