"""A target's path stays inside its workspace (issue 18): ``..``, absolute paths and parameter
values holding either are refused, naming the path and the workspace; nothing is written."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import luigi
import pytest

import gokart_core as gokart
from gokart_core.task.paths import is_inside


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


class Named(gokart.TaskOnKart[Any]):
    """``make_target`` with a path from the task's parameters, as users write it."""

    path = luigi.Parameter()

    def output(self) -> Any:
        return self.make_target(self.path)

    def run(self) -> None:
        self.dump("x")


class NamedOutside(Named):
    allow_outside_workspace = True


@pytest.mark.parametrize(
    "relative",
    ["../escaped/a.pkl", "a/../../escaped/a.pkl", "ABSOLUTE", "out_/../../../escaped/x.pkl"],
    ids=["parent", "parent-after-a-folder", "absolute", "parameter-in-a-name"],
)
def test_a_path_outside_the_workspace_is_refused_and_nothing_is_written(
    tmp_path: Path, relative: str
) -> None:
    workspace = tmp_path / "deep" / "ws"
    relative = str(tmp_path / "escaped" / "a.pkl") if relative == "ABSOLUTE" else relative
    task = Named(path=relative, workspace_directory=str(workspace))
    with pytest.raises(gokart.OutsideWorkspaceError) as caught:
        task.output()
    message = str(caught.value)
    assert relative in message and str(workspace) in message
    assert "Named" in message and "allow_outside_workspace" in message
    with pytest.raises(gokart.GokartBuildError):
        gokart.build(task)
    assert _files(tmp_path) == set()


def test_a_parameter_from_the_command_line_cannot_move_an_output_out(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text(
        textwrap.dedent(
            """
            import luigi
            import gokart_core as gokart

            class Report(gokart.TaskOnKart):
                name = luigi.Parameter()
                def output(self):
                    return self.make_target(f"out_{self.name}.txt")
                def run(self):
                    self.dump("secret report")

            if __name__ == "__main__":
                gokart.run()
            """
        )
    )
    (tmp_path / "luigi.cfg").write_text("")
    args = ["Report", "--name", "/../../../x", "--local-scheduler", "--workspace-directory", "ws"]
    proc = subprocess.run(
        [sys.executable, "main.py", *args],
        cwd=tmp_path / ".",
        capture_output=True,
        text=True,
        env={**os.environ, "LUIGI_CONFIG_PATH": str(tmp_path / "luigi.cfg")},
        timeout=120,
    )
    assert proc.returncode != 0
    assert "outside the workspace 'ws'" in proc.stderr, proc.stderr[-3000:]
    assert _files(tmp_path) == {"main.py", "luigi.cfg"}
    assert not list(tmp_path.parent.glob("x*"))


def test_paths_that_stay_inside_are_unchanged(tmp_path: Path) -> None:
    workspace = str(tmp_path / "ws")
    task = Named(path="a/../b/c.pkl", workspace_directory=workspace)
    assert gokart.build(task) == "x"
    # the joined path as before (file names and lock keys are gokart's), not a normalised one
    assert task.output().path().startswith(os.path.join(workspace, "a/../b/c_"))
    assert _files(tmp_path / "ws" / "b") == {f"c_{task.make_unique_id()}.pkl"}


def test_a_task_class_may_opt_out(tmp_path: Path) -> None:
    task = NamedOutside(path="../shared/a.pkl", workspace_directory=str(tmp_path / "ws"))
    assert gokart.build(task) == "x"
    assert _files(tmp_path / "shared") == {f"a_{task.make_unique_id()}.pkl"}


@pytest.mark.parametrize(
    ("workspace", "path", "inside"),
    [
        ("s3://bucket/ws", "s3://bucket/ws/a.pkl", True),
        ("s3://bucket/ws", "s3://bucket/ws/../other/a.pkl", False),
        ("s3://bucket/ws", "s3://bucket/wsx/a.pkl", False),
        ("s3://bucket/ws/", "s3://bucket/ws/a/b.pkl", True),
        ("s3://bucket/ws", "gs://bucket/ws/a.pkl", False),
        ("s3://bucket/ws", "/bucket/ws/a.pkl", False),
        ("memory://ws", "memory://ws/../../x", False),
        ("file:///tmp/ws", "/tmp/ws/a.pkl", True),
        ("./resources", "resources/a.pkl", True),
        ("./resources", "./resources", False),
        ("resources", "resources/./../x.pkl", False),
    ],
)
def test_inside_is_decided_on_normalised_paths_and_urls(
    workspace: str, path: str, inside: bool
) -> None:
    assert is_inside(workspace, path) is inside


def test_an_escape_from_an_object_store_workspace_is_refused() -> None:
    task = Named(path="../other/a.pkl", workspace_directory="memory://gokart-test-paths/ws")
    with pytest.raises(gokart.OutsideWorkspaceError, match="memory://gokart-test-paths/ws"):
        task.output()
