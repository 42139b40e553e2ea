"""gokart docs, *Task Information* (task_information.rst), ways 2 to 6 (as the page; way 1 is
luigi's ``deps_tree``).

Covered: ``python main.py TaskB --param=Hello --local-scheduler --tree-info-mode=all
--tree-info-output-path=tree_all.txt`` (the tree with states, unique ids, parameters, outputs,
times and task logs, written in the workspace instead of running) and ``simple`` mode;
``make_task_info_as_tree_str`` on the page's TaskA..TaskD tree, the sub-trees already shown
abbreviated (``└─- ...``) unless ``abbr=False``, and ``ignore_task_names``;
``make_task_info_as_table`` (a DataFrame, one row per distinct task, the columns the page
lists); ``dump_task_info_table`` (a file of the path's format, the unique id in its name);
``dump_task_info_tree`` (a pickle of the TaskInfo tree, ``use_unique_id=False``, and only
``.pkl``); ``task_log`` shown by ``--tree-info-mode=all``; ``--delete-unnecessary-output-files``.

The page's unique ids of TaskB/TaskC/TaskD in the abbreviated tree come from an older gokart:
gokart 1.12.2 prints others (gokart-core the same as 1.12.2), its TaskA ids are the page's.
"""

from __future__ import annotations

import pickle
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import luigi
import pandas as pd
import pytest

import gokart_core as gokart
import gokart_pandas
import gokart_pickle
from gokart_core.plugin.manager import use_plugin_manager
from gokart_core.testing import builtins_only_plugin_manager
from gokart_core.tree.task_info import (
    TaskInfo,
    dump_task_info_table,
    dump_task_info_tree,
    make_task_info_as_table,
    make_task_info_as_tree_str,
)

from . import run_script

MAIN = """\
import luigi

import gokart_core as gokart


class TaskA(gokart.TaskOnKart[str]):
    param = luigi.Parameter()

    def output(self):
        return self.make_target('output_of_task_a.pkl')

    def run(self):
        self.dump(f'param={self.param}')


class TaskB(gokart.TaskOnKart[str]):
    param = luigi.Parameter()

    def requires(self):
        return TaskA(param='called by TaskB')

    def output(self):
        return self.make_target('output_of_task_b.pkl')

    def run(self):
        self.dump(self.load() + ' and ' + self.param)


if __name__ == '__main__':
    gokart.run()
"""

ID = "[0-9a-f]{32}"


def test_tree_info_mode_all_on_the_command_line(tmp_path: Path) -> None:
    built = run_script(tmp_path, MAIN, "TaskB", "--param=Hello", "--local-scheduler")
    assert built.returncode == 0, built.stderr[-3000:]
    args = ["--tree-info-mode=all", "--tree-info-output-path=tree_all.txt"]
    done = run_script(tmp_path, MAIN, "TaskB", "--param=Hello", "--local-scheduler", *args)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = (tmp_path / "resources" / "tree_all.txt").read_text().strip("\n").splitlines()
    detail = (
        r"\(parameter=\{{'param': '{param}'\}}, "
        r"output=\['\./resources/output_of_task_{x}_({id})\.pkl'\], time=[0-9.e-]+s, "
        r"task_log=\{{'file_path': \['\./resources/output_of_task_{x}_\1\.pkl'\]\}}\)"
    )
    b = detail.format(param="Hello", x="b", id=ID)
    a = detail.format(param="called by TaskB", x="a", id=ID)
    assert len(lines) == 2
    assert re.fullmatch(rf"└─-\(COMPLETE\) TaskB\[({ID})\]{b}", lines[0]), lines[0]
    assert re.fullmatch(rf"   └─-\(COMPLETE\) TaskA\[({ID})\]{a}", lines[1]), lines[1]


@pytest.fixture(autouse=True)
def workspace(tmp_path: Path, set_config: Any) -> Iterator[Path]:
    ws = tmp_path / "resources"
    set_config("TaskOnKart", "workspace_directory", str(ws))
    with use_plugin_manager(builtins_only_plugin_manager(gokart_pickle, gokart_pandas)):
        yield ws


class DocsInfoTaskA(gokart.TaskOnKart[str]):
    param: str = luigi.Parameter()

    def run(self) -> None:
        self.dump(f"{self.param}")


class DocsInfoTaskB(gokart.TaskOnKart[str]):
    task: gokart.TaskOnKart[str] = gokart.TaskInstanceParameter()

    def run(self) -> None:
        self.dump(self.load("task") + " taskB")


class DocsInfoTaskC(gokart.TaskOnKart[str]):
    task: gokart.TaskOnKart[str] = gokart.TaskInstanceParameter()

    def run(self) -> None:
        self.dump(self.load("task") + " taskC")


class DocsInfoTaskD(gokart.TaskOnKart[str]):
    task1: gokart.TaskOnKart[str] = gokart.TaskInstanceParameter()
    task2: gokart.TaskOnKart[str] = gokart.TaskInstanceParameter()

    def run(self) -> None:
        self.dump(",".join([self.load("task1"), self.load("task2")]))


def _quarter() -> DocsInfoTaskD:
    return DocsInfoTaskD(
        task1=DocsInfoTaskC(task=DocsInfoTaskA(param="foo")),
        task2=DocsInfoTaskC(task=DocsInfoTaskB(task=DocsInfoTaskA(param="bar"))),
    )


def _page_tree() -> DocsInfoTaskD:
    return DocsInfoTaskD(
        task1=DocsInfoTaskD(task1=_quarter(), task2=_quarter()),  # the same task twice
        task2=DocsInfoTaskD(task1=_quarter(), task2=_quarter()),
    )


def _shape(tree: str) -> list[str]:
    """The tree's lines without the ids."""
    return [re.sub(rf"\[{ID}\]", "", line) for line in tree.strip("\n").splitlines()]


def test_make_task_info_as_tree_str_abbreviates_what_was_shown() -> None:
    task = _page_tree()
    assert _shape(gokart.make_task_info_as_tree_str(task)) == [
        "└─-(PENDING) DocsInfoTaskD",
        "   |--(PENDING) DocsInfoTaskD",
        "   |  |--(PENDING) DocsInfoTaskD",
        "   |  |  |--(PENDING) DocsInfoTaskC",
        "   |  |  |  └─-(PENDING) DocsInfoTaskA",
        "   |  |  └─-(PENDING) DocsInfoTaskC",
        "   |  |     └─-(PENDING) DocsInfoTaskB",
        "   |  |        └─-(PENDING) DocsInfoTaskA",
        "   |  └─-(PENDING) DocsInfoTaskD",
        "   |     └─- ...",
        "   └─-(PENDING) DocsInfoTaskD",
        "      └─- ...",
    ]
    lines = make_task_info_as_tree_str(task).strip("\n").splitlines()
    assert lines[2].split()[-1] == lines[8].split()[-1]  # the same task, the same id
    full = _shape(make_task_info_as_tree_str(task, abbr=False))
    assert len(full) == 1 + 2 * (1 + 2 * 6) and "└─- ..." not in "\n".join(full)
    ignored = _shape(make_task_info_as_tree_str(task, ignore_task_names=["DocsInfoTaskC"]))
    assert not any("DocsInfoTaskC" in line or "DocsInfoTaskA" in line for line in ignored)


def test_make_task_info_as_table() -> None:
    table = make_task_info_as_table(_page_tree())
    assert isinstance(table, pd.DataFrame)
    assert len(table) == 8  # distinct tasks: 3 TaskD, 2 TaskC, 1 TaskB, 2 TaskA
    assert (
        sorted(table["name"])
        == ["DocsInfoTaskA"] * 2 + ["DocsInfoTaskB"] + ["DocsInfoTaskC"] * 2 + ["DocsInfoTaskD"] * 3
    )
    # name, cache unique id, cache file path, parameters, processing time, complete, task log
    for column in ("unique_id", "output_paths", "params", "processing_time", "is_complete"):
        assert column in table.columns
    assert "task_log" in table.columns
    assert set(table["is_complete"]) == {"PENDING"}


def test_dump_task_info_table_and_tree(tmp_path: Path) -> None:
    task = _page_tree()
    gokart.build(task)
    uid = task.make_unique_id()
    dump_task_info_table(task, str(tmp_path / "info" / "table.csv"))
    table = pd.read_csv(tmp_path / "info" / f"table_{uid}.csv")
    assert len(table) == 8 and set(table["is_complete"]) == {"COMPLETE"}
    dump_task_info_tree(task, str(tmp_path / "info" / "tree.pkl"))
    with open(tmp_path / "info" / f"tree_{uid}.pkl", "rb") as f:
        tree = pickle.load(f)
    assert isinstance(tree, TaskInfo)
    assert (tree.name, tree.unique_id, len(tree.children)) == ("DocsInfoTaskD", uid, 2)
    dump_task_info_tree(task, str(tmp_path / "info" / "plain.pkl"), use_unique_id=False)
    assert (tmp_path / "info" / "plain.pkl").is_file()
    with pytest.raises(ValueError, match=r"\.pkl"):
        dump_task_info_tree(task, str(tmp_path / "info" / "tree.txt"))


class DocsInfoSampleTaskLog(gokart.TaskOnKart[str]):
    def run(self) -> None:
        self.task_log["sample key"] = "sample value"
        self.dump("done")


def _run(*args: str) -> None:
    """``gokart.run(args)`` in this process (``--no-lock``: luigi's pid lock is per process)."""
    with pytest.raises(SystemExit) as exited:
        gokart.run([*args, "--local-scheduler", "--no-lock"])
    assert exited.value.code in (0, None)


def test_task_log_in_the_tree(workspace: Path) -> None:
    _run("--tree-info-mode=simple", "--tree-info-output-path=before.txt", "DocsInfoSampleTaskLog")
    uid = DocsInfoSampleTaskLog().make_unique_id()
    simple = (workspace / "before.txt").read_text().strip("\n")
    assert simple == f"└─-(PENDING) DocsInfoSampleTaskLog[{uid}]"
    _run("DocsInfoSampleTaskLog")
    _run(
        "--tree-info-mode=all",
        "--tree-info-output-path=sample_task_log.txt",
        "DocsInfoSampleTaskLog",
    )
    tree = (workspace / "sample_task_log.txt").read_text()
    assert tree.strip("\n").startswith(f"└─-(COMPLETE) DocsInfoSampleTaskLog[{uid}](")
    assert "task_log={'sample key': 'sample value', 'file_path': [" in tree


class DocsInfoKept(gokart.TaskOnKart[str]):
    param: str = luigi.Parameter()

    def run(self) -> None:
        self.dump(self.param)


def test_delete_unnecessary_output_files(workspace: Path) -> None:
    gokart.build(DocsInfoKept(param="old"))
    gokart.build(DocsInfoKept(param="new"))
    old, new = (Path(DocsInfoKept(param=p).output().path()) for p in ("old", "new"))
    assert old.exists() and new.exists()
    _run("DocsInfoKept", "--param=new", "--delete-unnecessary-output-files")
    assert new.exists() and not old.exists()
