"""gokart's command line, as its documentation shows it: ``python main.py module.Task``,
``--delete-unnecessary-output-files``, ``--test-run-pandas``; and the Python functions behind
them (``delete_local_unnecessary_outputs``, ``gokart.testing``, ``gokart.tree.task_info``)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, ClassVar

import luigi
import pandas as pd
import pytest

import gokart_core as gokart
from gokart_core.testing import assert_frame_contents_equal
from gokart_core.tree import task_info

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str) -> int:
    with pytest.raises(SystemExit) as info:
        gokart.run(list(args))
    code = info.value.code
    return 0 if code is None else int(code)


class Kept(gokart.TaskOnKart[int]):
    n: int = luigi.IntParameter()

    def run(self) -> None:
        self.dump(self.n)


class KeptRoot(gokart.TaskOnKart[int]):
    n: int = luigi.IntParameter()

    def requires(self) -> Any:
        return Kept(n=self.n, workspace_directory=self.workspace_directory)

    def run(self) -> None:
        self.dump(self.load() * 2)


def _files(ws: Path) -> set[str]:
    return {str(p.relative_to(ws)) for p in ws.rglob("*") if p.is_file()}


def test_delete_unnecessary_output_files_keeps_the_graphs_outputs_and_the_logs(
    tmp_path: Path,
) -> None:
    ws = tmp_path / "ws"
    old, new = (
        KeptRoot(n=1, workspace_directory=str(ws)),
        KeptRoot(n=2, workspace_directory=str(ws)),
    )
    gokart.build(old)
    gokart.build(new)
    (ws / "notes").mkdir()
    (ws / "notes" / "README").write_text("no dot: not an output")
    before = _files(ws)
    code = run_cli(
        "KeptRoot",
        "--n",
        "2",
        "--workspace-directory",
        str(ws),
        "--delete-unnecessary-output-files",
    )
    assert code == 0
    after = _files(ws)
    old_outputs = {str(Path(t.output().path()).relative_to(ws)) for t in (old, old.requires())}
    assert before - after == old_outputs  # only the outputs of n=1 went: n=2's, logs stay
    assert {f for f in before if f.startswith("log/")} <= after
    assert "notes/README" in after
    # it exits without running: a task that is not complete stays so
    third = KeptRoot(n=3, workspace_directory=str(ws))
    code = run_cli(
        "KeptRoot",
        "--n",
        "3",
        "--workspace-directory",
        str(ws),
        "--delete-unnecessary-output-files",
    )
    assert code == 0 and not third.complete()


def test_delete_local_unnecessary_outputs_in_python(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    gokart.build(KeptRoot(n=5, workspace_directory=str(ws)))
    keep = KeptRoot(n=6, workspace_directory=str(ws))
    gokart.build(keep)
    gokart.delete_local_unnecessary_outputs(keep)
    outputs = {f for f in _files(ws) if not f.startswith("log/")}
    expected = {str(Path(t.output().path()).relative_to(ws)) for t in (keep, keep.requires())}
    assert outputs == expected


class Counted(gokart.TaskOnKart[int]):
    """Fails on its second run in a process: what the test run's second pass finds."""

    runs: ClassVar[list[int]] = []

    def run(self) -> None:
        Counted.runs.append(1)
        if len(Counted.runs) > 1 and self.should_fail:
            raise ValueError("cannot handle an empty frame")
        self.dump(len(Counted.runs))

    should_fail: bool = luigi.BoolParameter(default=False)


class CountedRoot(gokart.TaskOnKart[int]):
    should_fail: bool = luigi.BoolParameter(default=False)

    def requires(self) -> Any:
        return Counted(should_fail=self.should_fail, workspace_directory=self.workspace_directory)

    def run(self) -> None:
        self.dump(self.load())


@pytest.mark.parametrize(("fail", "code"), [(False, 0), (True, 1)])
def test_test_run_pandas_runs_every_task_again_without_dumps(
    tmp_path: Path, fail: bool, code: int, caplog: pytest.LogCaptureFixture
) -> None:
    Counted.runs.clear()
    args = ["CountedRoot", "--local-scheduler", "--workspace-directory", str(tmp_path)]
    if fail:
        args.append("--should-fail")
    caplog.set_level("INFO", logger="gokart_core.testing.empty_data_frame")
    assert run_cli(*args, "--test-run-pandas") == code
    assert len(Counted.runs) == 2  # the build, then the test's second pass
    report = caplog.text
    assert "name=CountedRoot" in report and "name=Counted;" in report
    assert ("status=NG" in report) == fail
    assert ("cannot handle an empty frame" in report) == fail
    # the second pass dumped nothing: the output is the build's
    assert Counted(should_fail=fail, workspace_directory=str(tmp_path)).output().load() == 1


def test_assert_frame_contents_equal_ignores_order() -> None:
    a = pd.DataFrame({"x": [1, 2], "y": [3, 4]}, index=[10, 20])
    b = a.loc[[20, 10], ["y", "x"]]
    assert_frame_contents_equal(a, b)
    with pytest.raises(AssertionError, match="columns are not equal"):
        assert_frame_contents_equal(a, a.rename(columns={"y": "z"}))
    with pytest.raises(AssertionError, match="index is not unique"):
        assert_frame_contents_equal(pd.concat([a, a]), a)
    with pytest.raises(AssertionError):
        assert_frame_contents_equal(a, a.assign(x=[1, 3]))


def test_task_info_dumps(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    root = KeptRoot(n=7, workspace_directory=str(ws))
    gokart.build(root)
    task_info.dump_task_info_tree(root, str(tmp_path / "tree.pkl"))
    tree = pd.read_pickle(tmp_path / f"tree_{root.make_unique_id()}.pkl")
    assert tree.name == "KeptRoot" and [c.name for c in tree.children] == ["Kept"]
    task_info.dump_task_info_tree(root, str(tmp_path / "plain.pkl"), use_unique_id=False)
    assert (tmp_path / "plain.pkl").exists()
    with pytest.raises(ValueError, match=r"\.pkl"):
        task_info.dump_task_info_tree(root, str(tmp_path / "tree.csv"))
    task_info.dump_task_info_table(root, str(tmp_path / "table.pkl"))
    table = pd.read_pickle(tmp_path / f"table_{root.make_unique_id()}.pkl")
    assert sorted(table["name"]) == ["Kept", "KeptRoot"]
    assert set(table["is_complete"]) == {"COMPLETE"}
    assert gokart.make_tree_info(root) == task_info.make_task_info_as_tree_str(root)


MAIN = """
import gokart_core as gokart
import {module}

if __name__ == "__main__":
    gokart.run()
"""

MODULE = """
import luigi
import gokart_core as gokart


class Greeting(gokart.TaskOnKart[str]):
    name = luigi.Parameter()

    def run(self):
        self.dump(f"hello {{self.name}}")


class Spaced(gokart.TaskOnKart[str]):
    task_namespace = "{module}"

    def run(self):
        self.dump("in a namespace")
"""


@pytest.mark.parametrize(
    ("task", "value"), [("Greeting", "hello you"), ("{module}.Greeting", "hello you")]
)
def test_main_py_module_task_as_the_readme_writes_it(tmp_path: Path, task: str, value: str) -> None:
    """``python main.py mymodule.Greeting``: by the class's module path, as by its family;
    and a ``task_namespace`` named like the module is luigi's own (``mymodule.Spaced``)."""
    module = "cli_pipeline"
    (tmp_path / "main.py").write_text(MAIN.format(module=module))
    (tmp_path / f"{module}.py").write_text(textwrap.dedent(MODULE.format(module=module)))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]),
    }
    for name in (task.format(module=module), f"{module}.Spaced"):
        done = subprocess.run(
            [
                sys.executable,
                "main.py",
                name,
                "--local-scheduler",
                *(["--name", "you"] if "Greeting" in name else []),
            ],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-2000:]
    outputs = {
        pd.read_pickle(p) for p in (tmp_path / "resources").rglob("*.pkl") if "log" not in p.parts
    }
    assert outputs == {value, "in a namespace"}
    missing = subprocess.run(
        [sys.executable, "main.py", f"{module}.NoSuchTask", "--local-scheduler"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode == 2 and f"No task {module}.NoSuchTask" in missing.stderr


def test_build_task_dump_config(
    tmp_path: Path, set_config: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """gokart's ``build(task, task_dump_config=...)``: the tree or table, printed (logged) or
    dumped under ``log/task_info/`` of the ``[TaskOnKart]`` workspace, before the build."""
    from gokart_core.build import TaskDumpConfig, TaskDumpMode, TaskDumpOutputType

    ws = tmp_path / "shared"
    set_config("TaskOnKart", "workspace_directory", str(ws))
    root = KeptRoot(n=8, workspace_directory=str(tmp_path / "ws"))
    tree = TaskDumpConfig(TaskDumpMode.TREE, TaskDumpOutputType.PRINT)
    caplog.set_level("INFO", logger="gokart_core.runner.task_dump")
    gokart.build(root, task_dump_config=tree, log_level=logging.INFO)
    assert "KeptRoot" in caplog.text and "(PENDING)" in caplog.text  # before it ran
    table = TaskDumpConfig(TaskDumpMode.TABLE, TaskDumpOutputType.DUMP)
    gokart.build(root, task_dump_config=table)
    (dumped,) = (ws / "log" / "task_info").glob("KeptRoot_*.pkl")
    assert sorted(pd.read_pickle(dumped)["name"]) == ["Kept", "KeptRoot"]
    with pytest.raises(ValueError, match="Unsupported TaskDumpConfig"):
        gokart.build(root, task_dump_config=TaskDumpConfig(mode=TaskDumpMode.TREE))


class NeedsParam(gokart.TaskOnKart[int]):
    n: int = luigi.IntParameter()


def test_a_missing_parameter_is_reported_by_luigi_as_before(tmp_path: Path) -> None:
    """run()'s own look at the task (for --delete-unnecessary-output-files) leaves the errors
    of making it to luigi's run: an exit code, not a traceback out of run()."""
    code = run_cli("NeedsParam", "--local-scheduler", "--workspace-directory", str(tmp_path))
    assert code == 4  # luigi's unhandled_exception, as without gokart-core's checks
