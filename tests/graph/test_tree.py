"""The dependency tree, table and graph of a diamond: D requires B and C, both require A."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import luigi
import pytest

import gokart_core as gokart


class DiamondA(gokart.TaskOnKart[int]):
    def run(self) -> None:
        self.dump(1)


class DiamondB(gokart.TaskOnKart[int]):
    a = gokart.TaskInstanceParameter()

    def run(self) -> None:
        self.dump(self.load("a") + 1)


class DiamondC(gokart.TaskOnKart[int]):
    def requires(self) -> Any:
        return DiamondA(workspace_directory=self.workspace_directory)

    def run(self) -> None:
        self.task_log["added"] = 2
        self.dump(self.load() + 2)


class DiamondD(gokart.TaskOnKart[int]):
    n = luigi.IntParameter(default=3)

    def requires(self) -> Any:
        ws = self.workspace_directory
        return {
            "b": DiamondB(a=DiamondA(workspace_directory=ws), workspace_directory=ws),
            "c": DiamondC(workspace_directory=ws),
        }

    def run(self) -> None:
        self.dump(self.load("b") + self.load("c"))


@pytest.fixture
def diamond(tmp_path: Path) -> dict[str, Any]:
    ws = str(tmp_path)
    d = DiamondD(workspace_directory=ws)
    b, c = d.requires()["b"], d.requires()["c"]
    a = c.requires()
    gokart.build(b)  # A and B complete, C and D pending
    return {
        "a": a,
        "b": b,
        "c": c,
        "d": d,
        **{k + "id": t.make_unique_id() for k, t in {"a": a, "b": b, "c": c, "d": d}.items()},
    }


def test_tree(diamond: dict[str, Any]) -> None:
    t = diamond
    expected = (
        f"\n└─-(PENDING) DiamondD[{t['did']}]"
        f"\n   |--(COMPLETE) DiamondB[{t['bid']}]"
        f"\n   |  └─-(COMPLETE) DiamondA[{t['aid']}]"
        f"\n   └─-(PENDING) DiamondC[{t['cid']}]"
        f"\n      └─-(COMPLETE) DiamondA[{t['aid']}]"
        "\n         └─- ..."
    )
    assert gokart.make_task_info_as_tree_str(t["d"]) == expected


def test_tree_without_abbreviation_and_ignored(diamond: dict[str, Any]) -> None:
    t = diamond
    full = gokart.make_task_info_as_tree_str(t["d"], abbr=False)
    assert "..." not in full and full.count("DiamondA") == 2
    ignored = gokart.make_task_info_as_tree_str(t["d"], ignore_task_names=["DiamondA"])
    assert ignored == (
        f"\n└─-(PENDING) DiamondD[{t['did']}]"
        f"\n   |--(COMPLETE) DiamondB[{t['bid']}]"
        f"\n   └─-(PENDING) DiamondC[{t['cid']}]"
    )


def logged_seconds(task: gokart.TaskOnKart[Any]) -> float:
    """The processing time in the task's log file, read without gokart_core."""
    path = Path(task.workspace_directory, "log", "processing_time")
    with open(path / f"{type(task).__name__}_{task.make_unique_id()}.pkl", "rb") as fp:
        seconds = pickle.load(fp)
    assert isinstance(seconds, float)
    return seconds


def test_tree_details(diamond: dict[str, Any]) -> None:
    t = diamond
    text = gokart.make_task_info_as_tree_str(t["d"], details=True)
    b_path = t["b"].output().path()
    assert (
        f"(COMPLETE) DiamondB[{t['bid']}](parameter={{'a': 'DiamondA-{t['aid']}'}}, "
        f"output=['{b_path}'], time={logged_seconds(t['b'])}s, "
        f"task_log={{'file_path': ['{b_path}']}})"
    ) in text
    d_path = t["d"].output().path()
    assert (
        f"(PENDING) DiamondD[{t['did']}](parameter={{'n': '3'}}, output=['{d_path}'], "
        "time=unknown, task_log={})"
    ) in text


def test_tree_details_and_table_after_a_build(tmp_path: Path) -> None:
    # gokart's format: the logged seconds with an "s", the logged task_log. A fresh instance of
    # each task (luigi's instance cache cleared) reads them from the log files.
    ws = str(tmp_path)
    gokart.build(DiamondD(workspace_directory=ws))
    luigi.task_register.Register.clear_instance_cache()
    d = DiamondD(workspace_directory=ws)
    b, c = d.requires()["b"], d.requires()["c"]
    a = c.requires()
    assert not c.task_log  # nothing in memory

    def line(task: gokart.TaskOnKart[Any], params: str, task_log: str = "") -> str:
        path = task.output().path()
        return (
            f"(COMPLETE) {type(task).__name__}[{task.make_unique_id()}](parameter={params}, "
            f"output=['{path}'], time={logged_seconds(task)}s, "
            f"task_log={{{task_log}'file_path': ['{path}']}})"
        )

    aid = a.make_unique_id()
    d_line = line(d, "{'n': '3'}")
    b_line = line(b, "{'a': 'DiamondA-" + aid + "'}")
    c_line = line(c, "{}", "'added': 2, ")
    assert gokart.make_task_info_as_tree_str(d, details=True) == (
        f"\n└─-{d_line}"
        f"\n   |--{b_line}"
        f"\n   |  └─-{line(a, '{}')}"
        f"\n   └─-{c_line}"
        f"\n      └─-(COMPLETE) DiamondA[{aid}]"
        "\n         └─- ..."
    )
    table = gokart.make_task_info_as_table(d)
    assert list(table["processing_time"]) == [f"{logged_seconds(t)}s" for t in (d, b, a, c)]
    assert table["task_log"][3] == {"added": 2, "file_path": [c.output().path()]}


def test_mermaid(diamond: dict[str, Any]) -> None:
    t = diamond
    assert gokart.make_task_graph(t["d"]) == (
        "flowchart BT\n"
        f'    t0["DiamondD[{t["did"]}]<br/>PENDING"]:::pending\n'
        f'    t1["DiamondB[{t["bid"]}]<br/>COMPLETE"]:::complete\n'
        f'    t2["DiamondA[{t["aid"]}]<br/>COMPLETE"]:::complete\n'
        f'    t3["DiamondC[{t["cid"]}]<br/>PENDING"]:::pending\n'
        "    t1 --> t0\n"
        "    t3 --> t0\n"
        "    t2 --> t1\n"
        "    t2 --> t3\n"
        "    classDef complete fill:#d4edda,stroke:#28a745\n"
        "    classDef pending fill:#fff3cd,stroke:#d39e00\n"
    )


def test_dot(diamond: dict[str, Any]) -> None:
    t = diamond
    text = gokart.make_task_graph(t["d"], format="dot")
    assert text.startswith("digraph tasks {\n")
    assert text.endswith("}\n")
    assert f't2 [label="DiamondA[{t["aid"]}]\\nCOMPLETE", fillcolor="#d4edda"];' in text
    assert f't0 [label="DiamondD[{t["did"]}]\\nPENDING", fillcolor="#fff3cd"];' in text
    assert [line.strip() for line in text.splitlines() if "->" in line] == [
        "t1 -> t0;",
        "t3 -> t0;",
        "t2 -> t1;",
        "t2 -> t3;",
    ]
    with pytest.raises(ValueError, match="mermaid"):
        gokart.make_task_graph(t["d"], format="svg")  # type: ignore[arg-type]


def test_table(diamond: dict[str, Any]) -> None:
    table = gokart.make_task_info_as_table(diamond["d"])
    assert list(table["name"]) == ["DiamondD", "DiamondB", "DiamondA", "DiamondC"]
    assert list(table["is_complete"]) == ["PENDING", "COMPLETE", "COMPLETE", "PENDING"]


def test_tree_of_a_deep_chain(tmp_path: Path) -> None:
    task: Any = DiamondA(workspace_directory=str(tmp_path))
    for _ in range(1000):
        task = DiamondB(a=task, workspace_directory=str(tmp_path))
    text = gokart.make_task_info_as_tree_str(task)
    assert text.count("(PENDING)") == 1001
