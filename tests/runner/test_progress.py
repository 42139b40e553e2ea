"""The progress line of ``build()``: drawn on a real pseudo-terminal, silent otherwise."""

from __future__ import annotations

import io
import logging
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import luigi
import luigi.configuration
import pytest

import gokart_core as gokart
from gokart_core.runner.progress import progress_enabled


class ProgLeaf(gokart.TaskOnKart[int]):
    n = luigi.IntParameter()

    def run(self) -> None:
        self.dump(self.n)


class ProgSlow(gokart.TaskOnKart[int]):
    """Long enough for the line to be redrawn while it runs."""

    def requires(self) -> Any:
        return [ProgLeaf(n=i, workspace_directory=self.workspace_directory) for i in range(3)]

    def run(self) -> None:
        time.sleep(0.5)
        self.dump(sum(self.load()))


class ProgTop(gokart.TaskOnKart[int]):
    def requires(self) -> Any:
        return ProgSlow(workspace_directory=self.workspace_directory)

    def run(self) -> None:
        self.dump(self.load() + 1)


class ProgBroken(gokart.TaskOnKart[int]):
    def requires(self) -> Any:
        return [ProgLeaf(n=i, workspace_directory=self.workspace_directory) for i in range(2)]

    def run(self) -> None:
        raise RuntimeError("broken on purpose")


class TtyStringIO(io.StringIO):
    """Claims to be a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def no_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOKART_PROGRESS", raising=False)


class Terminal:
    """A pseudo-terminal standing in for stderr; what reaches its master end is read by a
    thread (a full terminal buffer would block the writer), until ``close()``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._master, slave = os.openpty()
        self.stream = os.fdopen(slave, "w", buffering=1)
        assert self.stream.isatty()
        monkeypatch.setattr(sys, "stderr", self.stream)
        self._chunks: list[bytes] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self._master, 65536)
            except OSError:  # EIO once the slave end is closed
                return
            if not data:
                return
            self._chunks.append(data)

    def close(self) -> str:
        """Everything written, with the terminal's CR LF turned into LF."""
        self.stream.close()
        self._reader.join(timeout=10)
        os.close(self._master)
        return b"".join(self._chunks).decode().replace("\r\n", "\n")


def frames(text: str) -> list[str]:
    """The successive states of the line (it is redrawn after a carriage return)."""
    return [f.strip() for f in text.replace("\n", "\r").split("\r") if f.strip()]


def test_line_on_a_pseudo_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = Terminal(monkeypatch)
    try:
        assert gokart.build(ProgTop(workspace_directory=str(tmp_path))) == 4
    finally:
        text = terminal.close()
    drawn = frames(text)
    assert drawn, "nothing was drawn"
    assert "0/0 tasks" in drawn[0] and "scheduling" in drawn[0]
    # redrawn while ProgSlow ran: its leaves done, it running
    assert any("3/5 tasks" in f and "running ProgSlow" in f for f in drawn), drawn
    assert drawn[-1].startswith("gokart |"), drawn[-1]
    assert "5/5 tasks" in drawn[-1] and "running" not in drawn[-1]
    assert text.endswith("\n")  # the final line stays

    # a rebuild: the complete root is the whole graph luigi schedules
    terminal = Terminal(monkeypatch)
    try:
        gokart.build(ProgTop(workspace_directory=str(tmp_path)))
    finally:
        text = terminal.close()
    assert "1/1 tasks" in frames(text)[-1]


def test_failures_and_log_lines_beside_the_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = TtyStringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    # a console handler as an application would have (luigi's own was set up once per
    # process, on whatever stderr was then)
    console = logging.StreamHandler(stream)
    logger = logging.getLogger("luigi-interface")
    logger.addHandler(console)
    try:
        with pytest.raises(gokart.GokartBuildError, match="broken on purpose"):
            gokart.build(ProgBroken(workspace_directory=str(tmp_path)), progress=True)
        assert console in logger.handlers  # put back after the build
    finally:
        logger.removeHandler(console)
    text = stream.getvalue()
    assert "2/3 tasks" in frames(text)[-1] and "1 failed" in frames(text)[-1]
    # luigi's error record is on lines of its own, not appended to the progress line
    lines = text.replace("\r", "\n").splitlines()
    failed = [line for line in lines if "failed    ProgBroken" in line]
    assert failed, text
    # "[pid": our handler's format; "ERROR: [pid": luigi's, when its handler writes here too
    assert all(line.startswith(("[pid ", "ERROR: [pid ")) for line in failed), failed
    assert "RuntimeError: broken on purpose" in lines


def test_worker_processes_are_counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # with workers > 1 tasks run (and fire their events) in child processes
    stream = TtyStringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    assert gokart.build(ProgTop(workspace_directory=str(tmp_path)), workers=2) == 4
    last = stream.getvalue().rstrip("\n").split("\r")[-1]
    assert "5/5 tasks" in last


def test_silent_when_stderr_is_no_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    gokart.build(ProgLeaf(n=1, workspace_directory=str(tmp_path)))
    assert stream.getvalue() == ""


@pytest.mark.parametrize("how", ["argument", "environment", "config"])
def test_turned_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    stream = TtyStringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    kwargs: dict[str, Any] = {}
    config = luigi.configuration.get_config()
    had_section = config.has_section("gokart_core")
    if how == "argument":
        kwargs["progress"] = False
    elif how == "environment":
        monkeypatch.setenv("GOKART_PROGRESS", "off")
    else:
        config.set("gokart_core", "progress", "false")
    try:
        gokart.build(ProgLeaf(n=2, workspace_directory=str(tmp_path)), **kwargs)
    finally:
        if how == "config":
            config.remove_option("gokart_core", "progress")
            if not had_section:
                config.remove_section("gokart_core")
    assert stream.getvalue() == ""


def test_switch_values(monkeypatch: pytest.MonkeyPatch) -> None:
    tty, plain = TtyStringIO(), io.StringIO()
    assert progress_enabled(None, tty) and not progress_enabled(None, plain)
    assert progress_enabled(True, plain) and not progress_enabled(False, tty)
    monkeypatch.setenv("GOKART_PROGRESS", "1")
    assert progress_enabled(None, plain)  # forced on, even into a log file
    monkeypatch.setenv("GOKART_PROGRESS", "auto")
    assert not progress_enabled(None, plain)
    monkeypatch.setenv("GOKART_PROGRESS", "sometimes")
    with pytest.raises(ValueError, match="GOKART_PROGRESS must be true, false or auto"):
        progress_enabled(None, plain)


def test_the_line_costs_no_existence_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fsspec.implementations.local import LocalFileSystem

    calls: list[str] = []
    real = LocalFileSystem.exists

    def exists(fs: Any, path: str, **kwargs: Any) -> bool:
        calls.append(path)
        return bool(real(fs, path, **kwargs))

    monkeypatch.setattr(LocalFileSystem, "exists", exists)
    monkeypatch.setattr(sys, "stderr", TtyStringIO())
    counts = []
    for progress in (False, True):
        calls.clear()
        ws = tmp_path / str(progress)
        gokart.build(ProgTop(workspace_directory=str(ws)), progress=progress)
        fresh = len(calls)
        calls.clear()
        gokart.build(ProgTop(workspace_directory=str(ws)), progress=progress)
        counts.append((fresh, len(calls)))
    assert counts[0] == counts[1] and counts[0][0] > 0


class ProgChatty(gokart.TaskOnKart[int]):
    def run(self) -> None:
        logging.getLogger("myapp.chatty").info("chatty info record")
        self.dump(1)


def test_a_console_handler_keeps_its_level(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stream = TtyStringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    console = logging.StreamHandler(stream)
    console.setLevel(logging.ERROR)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(console)
    root.setLevel(logging.DEBUG)
    try:
        gokart.build(ProgChatty(workspace_directory=str(tmp_path)), progress=True)
    finally:
        root.removeHandler(console)
        root.setLevel(previous)
    assert "1/1 tasks" in frames(stream.getvalue())[-1]
    assert "chatty info record" not in stream.getvalue()


def test_the_execution_summary_stays_with_the_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stderr", TtyStringIO())
    with pytest.raises(gokart.GokartBuildError) as info:
        gokart.build(ProgBroken(workspace_directory=str(tmp_path)), progress=True)
    # luigi's own summary, as without the line
    assert "Scheduled 3 tasks of which" in str(info.value)
    assert "This progress looks :(" in str(info.value)
