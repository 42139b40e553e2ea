"""Temporaries of dead writers are removed by the next writer; a live writer's never are."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import gokart_core as gokart
from gokart_core.target import leftovers
from gokart_core.target.leftovers import slot_name, staging_folder

HOLDER = """
import sys, time
from gokart_core.target import leftovers
kind, path = sys.argv[1], sys.argv[2]
if kind == "file":
    fd, name = leftovers.open_temporary(path)
    print(name, flush=True)
    time.sleep(3600)
else:
    with leftovers.staging_folder(path, "gokart-zip-") as folder:
        print(folder, flush=True)
        time.sleep(3600)
"""


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[object]:
    """Start a process that holds a temporary (``file``) or a staging folder (``folder``):
    ``start(kind, path) -> (process, name)``."""
    script = tmp_path / "holder.py"
    script.write_text(textwrap.dedent(HOLDER))
    started: list[subprocess.Popen[str]] = []

    def start(kind: str, path: Path) -> tuple[subprocess.Popen[str], str]:
        proc = subprocess.Popen(
            [sys.executable, str(script), kind, str(path)], stdout=subprocess.PIPE, text=True
        )
        started.append(proc)
        assert proc.stdout is not None
        return proc, proc.stdout.readline().strip()

    yield start
    for proc in started:
        proc.kill()
        proc.wait()


def _kill(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def test_a_dead_writers_temporary_is_removed_by_the_next_dump(tmp_path: Path, holder) -> None:
    target = tmp_path / "x.pkl"
    proc, name = holder("file", target)
    assert name == slot_name(str(target), 0) and os.path.exists(name)
    _kill(proc)
    gokart.make_target(str(target)).dump(1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["holder.py", "x.pkl"]


def test_a_live_writers_temporary_is_kept_and_the_next_slot_taken(tmp_path: Path, holder) -> None:
    target = tmp_path / "x.pkl"
    proc, name = holder("file", target)
    fd, mine = leftovers.open_temporary(str(target))
    try:
        assert mine == slot_name(str(target), 1)
        assert os.path.exists(name), "a live writer's temporary was removed"
    finally:
        os.close(fd)
        os.unlink(mine)
    gokart.make_target(str(target)).dump(2)
    assert os.path.exists(name) and gokart.make_target(str(target)).load() == 2
    assert proc.poll() is None


def test_stale_temporaries_in_later_slots_and_past_a_gap_are_removed(tmp_path: Path) -> None:
    target = str(tmp_path / "x.pkl")
    # left by writers that died: no lock on them
    for slot in (0, 1, 3):
        Path(slot_name(target, slot)).write_bytes(b"partial")
    gokart.make_target(target).dump(3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.pkl"]


def test_a_dead_makers_staging_folder_is_removed_a_live_ones_kept(tmp_path: Path, holder) -> None:
    live, live_folder = holder("folder", tmp_path)
    dead, dead_folder = holder("folder", tmp_path)
    Path(dead_folder, "model.pkl").write_bytes(b"x" * 1000)
    _kill(dead)
    with staging_folder(str(tmp_path), "gokart-zip-") as mine:
        assert os.path.isdir(mine)
        assert not os.path.exists(dead_folder)
        assert os.path.isdir(live_folder)
    assert not os.path.exists(mine)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["holder.py", os.path.basename(live_folder)]
    )
    assert live.poll() is None


def test_a_folder_removed_before_its_maker_locked_it_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer's clean-up may run between ``mkdtemp`` and the lock (the folder looks
    stale then): the maker notices and makes another folder, never writes into a removed one."""
    real_mkdtemp = leftovers.tempfile.mkdtemp
    raced: list[str] = []

    def mkdtemp_then_race(**kwargs: str) -> str:
        folder = real_mkdtemp(**kwargs)
        if not raced:  # the first folder only: a second writer cleans up right now
            raced.extend(leftovers.remove_stale_folders(str(tmp_path), "gokart-zip-"))
        return folder

    monkeypatch.setattr(leftovers.tempfile, "mkdtemp", mkdtemp_then_race)
    with staging_folder(str(tmp_path), "gokart-zip-") as mine:
        assert len(raced) == 1 and raced[0] != mine
        Path(mine, "model.pkl").write_bytes(b"x")
        # and this one is locked: another clean-up leaves it alone
        assert leftovers.remove_stale_folders(str(tmp_path), "gokart-zip-") == []
        assert Path(mine, "model.pkl").read_bytes() == b"x"


def test_is_stale_tells_a_dead_writer_from_a_live_one(tmp_path: Path, holder) -> None:
    proc, name = holder("file", tmp_path / "x.pkl")
    assert not leftovers.is_stale(name)
    _kill(proc)
    assert leftovers.is_stale(name)
