"""``gokart_core.run([...])``: the tree and graph flags write their file instead of running."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import luigi
import luigi.configuration
import pytest

import gokart_core as gokart
from gokart_core.runner.run_info import split_info_flags, tree_info_location


class CliA(gokart.TaskOnKart[int]):
    def run(self) -> None:
        self.dump(1)


class CliB(gokart.TaskOnKart[int]):
    def requires(self) -> Any:
        return CliA(workspace_directory=self.workspace_directory)

    def run(self) -> None:
        self.dump(self.load() + 1)


class CliC(gokart.TaskOnKart[int]):
    def requires(self) -> Any:
        return CliA(workspace_directory=self.workspace_directory)

    def run(self) -> None:
        self.dump(self.load() + 2)


class CliD(gokart.TaskOnKart[int]):
    n = luigi.IntParameter(default=3)

    def requires(self) -> Any:
        ws = self.workspace_directory
        return {"b": CliB(workspace_directory=ws), "c": CliC(workspace_directory=ws)}

    def run(self) -> None:
        self.dump(self.load("b") + self.load("c") + self.n)


def run_cli(*args: str) -> int:
    with pytest.raises(SystemExit) as info:
        gokart.run(list(args))
    code = info.value.code
    return 0 if code is None else int(code)


@pytest.fixture
def diamond(tmp_path: Path) -> dict[str, Any]:
    """D requires B and C, both require A; A and B are complete."""
    ws = str(tmp_path / "ws")
    gokart.build(CliB(workspace_directory=ws))
    d = CliD(workspace_directory=ws)
    ids = {k: t.make_unique_id() for k, t in {"a": CliA(workspace_directory=ws), "d": d}.items()}
    ids["b"] = CliB(workspace_directory=ws).make_unique_id()
    ids["c"] = CliC(workspace_directory=ws).make_unique_id()
    return {"ws": ws, "task": d, **ids}


def test_graph_output_mermaid_instead_of_running(tmp_path: Path, diamond: dict[str, Any]) -> None:
    out = tmp_path / "graph.mmd"
    t = diamond
    code = run_cli(
        "CliD", "--local-scheduler", "--workspace-directory", t["ws"], f"--graph-output={out}"
    )
    assert code == 0
    assert out.read_text() == (
        "flowchart BT\n"
        f'    t0["CliD[{t["d"]}]<br/>PENDING"]:::pending\n'
        f'    t1["CliB[{t["b"]}]<br/>COMPLETE"]:::complete\n'
        f'    t2["CliA[{t["a"]}]<br/>COMPLETE"]:::complete\n'
        f'    t3["CliC[{t["c"]}]<br/>PENDING"]:::pending\n'
        "    t1 --> t0\n"
        "    t3 --> t0\n"
        "    t2 --> t1\n"
        "    t2 --> t3\n"
        "    classDef complete fill:#d4edda,stroke:#28a745\n"
        "    classDef pending fill:#fff3cd,stroke:#d39e00\n"
    )
    assert not t["task"].complete() and not CliC(workspace_directory=t["ws"]).complete()


def test_graph_output_dot_flag_before_the_task_and_a_parameter(
    tmp_path: Path, diamond: dict[str, Any]
) -> None:
    out = tmp_path / "sub" / "graph.gv"
    ws = diamond["ws"]
    code = run_cli(
        "--graph-output",
        str(out),
        "CliD",
        "--n",
        "5",
        "--workspace-directory",
        ws,
        "--local-scheduler",
    )
    assert code == 0
    expected = gokart.make_task_graph(CliD(n=5, workspace_directory=ws), format="dot")
    assert out.read_text() == expected
    assert expected.startswith("digraph tasks {") and '[label="CliD[' in expected
    assert [p.name for p in out.parent.iterdir()] == ["graph.gv"]  # no temporary file left


@pytest.mark.parametrize("mode", ["simple", "all"])
def test_tree_info_flags_as_gokart(
    mode: str, diamond: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # gokart writes the tree into the workspace of its tree_info task, by default
    # ./resources/, whatever the root task's workspace_directory.
    t = diamond
    monkeypatch.chdir(tmp_path)
    code = run_cli(
        "CliD", "--local-scheduler", "--workspace-directory", t["ws"], "--tree-info-mode", mode
    )
    assert code == 0
    assert not (Path(t["ws"]) / "tree.txt").exists()
    text = (tmp_path / "resources" / "tree.txt").read_text()
    assert text == gokart.make_task_info_as_tree_str(t["task"], details=mode == "all")
    if mode == "simple":
        assert text == (
            f"\n└─-(PENDING) CliD[{t['d']}]"
            f"\n   |--(COMPLETE) CliB[{t['b']}]"
            f"\n   |  └─-(COMPLETE) CliA[{t['a']}]"
            f"\n   └─-(PENDING) CliC[{t['c']}]"
            f"\n      └─-(COMPLETE) CliA[{t['a']}]"
            "\n         └─- ..."
        )
    else:
        lines = text.splitlines()
        assert lines[1].endswith("time=unknown, task_log={})")  # CliD is pending
        assert f"(COMPLETE) CliB[{t['b']}](parameter={{}}" in lines[2]
        assert "time=unknown" not in lines[2]  # CliB ran in the fixture: its time is logged
    assert not t["task"].complete()


def test_tree_info_workspace_flag_and_config(
    diamond: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, set_config: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    ws, flagged = diamond["ws"], tmp_path / "flagged"
    code = run_cli(
        "CliD",
        "--workspace-directory",
        ws,
        "--tree-info-mode=simple",
        f"--tree-info-workspace-directory={flagged}",
        "--tree-info-output-path=info/pipeline.txt",
    )
    assert code == 0  # luigi did not see the flag, which names no parameter of CliD
    assert "(PENDING) CliD[" in (flagged / "info" / "pipeline.txt").read_text()

    # The config: [tree_info] mode, then [TaskOnKart] and [tree_info] workspace_directory.
    set_config("tree_info", "mode", "all")
    set_config("TaskOnKart", "workspace_directory", str(tmp_path / "shared"))
    assert run_cli("CliD", "--workspace-directory", ws) == 0
    assert "(parameter=" in (tmp_path / "shared" / "tree.txt").read_text()
    set_config("tree_info", "workspace_directory", str(tmp_path / "own"))
    assert run_cli("CliD", "--workspace-directory", ws) == 0
    assert "(parameter=" in (tmp_path / "own" / "tree.txt").read_text()
    # the command line wins over both
    assert run_cli("CliD", f"--tree-info-workspace-directory={flagged}") == 0
    assert "(parameter=" in (flagged / "tree.txt").read_text()
    assert not (Path(ws) / "tree.txt").exists() and not (tmp_path / "resources").exists()
    assert not diamond["task"].complete()


def test_split_info_flags_takes_the_tree_flags_out() -> None:
    request, rest = split_info_flags(
        ["CliD", "--tree-info-workspace-directory", "s3://b/ws", "--n", "4", "--tree-info-mode=all"]
    )
    assert rest == ["CliD", "--n", "4"]
    assert request.tree_workspace_directory == "s3://b/ws" and request.tree_mode == "all"


def test_tree_info_location_defaults() -> None:
    assert tree_info_location() == ("./resources/", {})
    assert tree_info_location("gs://bucket/x") == ("gs://bucket/x", {})


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        ("--graph-output=graph.svg", "--graph-output=graph.svg: the suffix must be one of .mmd"),
        ("--tree-info-mode=full", '--tree-info-mode must be "simple" or "all", not "full"'),
    ],
)
def test_bad_flag_values_are_usage_errors(
    flag: str, message: str, diamond: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli("CliD", "--workspace-directory", diamond["ws"], flag) == 2
    err = capsys.readouterr().err
    assert f"error: {message}" in err and "Traceback" not in err


def test_without_the_flags_it_runs(diamond: dict[str, Any]) -> None:
    assert run_cli("CliD", "--local-scheduler", "--workspace-directory", diamond["ws"]) == 0
    assert diamond["task"].output().load() == 2 + 3 + 3
