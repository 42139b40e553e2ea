"""Every ``python main.py ...`` command line of the README and the docs, run as written.

The commands are read from the text itself (inline code spans, which may wrap over lines), so a
command added to the README is run here too, and one that stops working fails. Each runs in a
fresh folder holding what the README says a user has: a ``main.py`` ending in ``gokart.run()``,
and the modules the commands name (``module.Task`` with a ``param``, ``mymodule.Root`` over a
few leaves). A command without ``--local-scheduler`` talks to luigid, as the README says: a real
one on a free port, named in the folder's ``luigi.cfg`` as a user's config would.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from gokart_core.testing.luigid import Luigid

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]

#: An inline code span: one or more backticks, the same number closing it.
_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)

MAIN = "import gokart_core as gokart\n\nif __name__ == '__main__':\n    gokart.run()\n"

MODULE = """
import luigi

import gokart_core as gokart


class Task(gokart.TaskOnKart):
    param = luigi.Parameter(default="")

    def output(self):
        return self.make_target("task.pkl")

    def run(self):
        self.dump({"param": self.param})
"""

MYMODULE = """
import luigi

import gokart_core as gokart


class Leaf(gokart.TaskOnKart):
    i = luigi.IntParameter()

    def output(self):
        return self.make_target("leaf.pkl")

    def run(self):
        self.dump(self.i)


class Root(gokart.TaskOnKart):
    def requires(self):
        return [Leaf(i=i) for i in range(6)]

    def output(self):
        return self.make_target("root.pkl")

    def run(self):
        self.dump(sum(self.load()))
"""


def documented_commands() -> list[tuple[str, str]]:
    """(document name, command) for every ``python main.py`` span, once each."""
    found: dict[str, str] = {}
    for document in DOCUMENTS:
        for match in _SPAN.finditer(document.read_text(encoding="utf-8")):
            command = " ".join(match.group(2).split())
            if command.startswith("python main.py "):
                found.setdefault(command, document.relative_to(ROOT).as_posix())
    return [(doc, command) for command, doc in found.items()]


COMMANDS = documented_commands()


def test_the_documents_have_commands_to_run() -> None:
    # The parsing found what the README is known to show: an empty list would test nothing.
    assert len(COMMANDS) >= 4, COMMANDS
    assert any("--local-scheduler" not in command for _, command in COMMANDS)


def _folder(tmp_path: Path, scheduler_port: int | None) -> Path:
    (tmp_path / "main.py").write_text(MAIN)
    (tmp_path / "module.py").write_text(MODULE)
    (tmp_path / "mymodule.py").write_text(MYMODULE)
    config = "[TaskOnKart]\nworkspace_directory=./resources\n"
    if scheduler_port is not None:
        config += "[core]\ndefault_scheduler_host=127.0.0.1\n"
        config += f"default_scheduler_port={scheduler_port}\n"
    (tmp_path / "luigi.cfg").write_text(config)
    return tmp_path


def _outputs(folder: Path, stem: str) -> list[Path]:
    return sorted((folder / "resources").glob(f"{stem}_*.pkl"))


@pytest.mark.parametrize(("document", "command"), COMMANDS, ids=[c for _, c in COMMANDS])
def test_a_documented_command_runs_as_written(
    document: str, command: str, tmp_path: Path, session_luigid: Luigid
) -> None:
    central = "--local-scheduler" not in command
    folder = _folder(tmp_path, session_luigid.port if central else None)
    env = {
        **os.environ,
        "LUIGI_CONFIG_PATH": str(folder / "luigi.cfg"),
        "PYTHONPATH": os.pathsep.join([str(folder), os.environ.get("PYTHONPATH", "")]),
    }
    args = shlex.split(command)
    assert args[:2] == ["python", "main.py"]
    done = subprocess.run(
        [sys.executable, *args[1:]],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"{document}: {command}\n{done.stdout}\n{done.stderr}"

    # What the command is documented to do, by its options.
    task = args[2]
    stem = "root" if task == "mymodule.Root" else "task"
    if "--graph-output=graph.mmd" in args:
        graph = (folder / "graph.mmd").read_text()
        assert "Task" in graph and "PENDING" in graph.upper()
        assert not _outputs(folder, stem), "drawing the graph ran the task"
    elif "--delete-unnecessary-output-files" in args:
        assert not _outputs(folder, stem), "deleting unnecessary files ran the task"
    else:
        assert len(_outputs(folder, stem)) == 1, f"{document}: {command} built nothing"
        if stem == "root":
            assert len(_outputs(folder, "leaf")) == 6
