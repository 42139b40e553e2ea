"""``gokart-core clean WORKSPACE``: lists (``--dry-run``) and removes what dead writers left,
never what a live writer holds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from gokart_core.target.leftovers import slot_name

HOLDER = """
import sys, time
from gokart_core.target import leftovers
fd, name = leftovers.open_temporary(sys.argv[1])
with leftovers.staging_folder(sys.argv[2], "gokart-zip-") as folder:
    print(name, folder, flush=True)
    time.sleep(3600)
"""


def _hold(tmp_path: Path, target: Path, staging: Path) -> tuple[subprocess.Popen[str], str, str]:
    script = tmp_path / "holder.py"
    script.write_text(textwrap.dedent(HOLDER))
    proc = subprocess.Popen(
        [sys.executable, str(script), str(target), str(staging)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    name, folder = proc.stdout.readline().split()
    return proc, name, folder


def _clean(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gokart_core.runner.maintenance", "clean", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_clean_lists_then_removes_dead_writers_leftovers_and_keeps_live_ones(
    tmp_path: Path,
) -> None:
    ws, staging = tmp_path / "ws", tmp_path / "staging"
    (ws / "sub").mkdir(parents=True)
    (ws / "sub" / "out_1.pkl").write_bytes(b"an output")
    dead, dead_name, dead_folder = _hold(tmp_path, ws / "sub" / "a.pkl", staging)
    live, live_name, live_folder = _hold(tmp_path, ws / "b.pkl", staging)
    old_scheme = ws / ".c.pkl.0123456789ab.tmp"  # an earlier version's name: by age only
    old_scheme.write_bytes(b"x" * 10)
    os.utime(old_scheme, (time.time() - 7200, time.time() - 7200))
    young_old_scheme = ws / ".d.pkl.0123456789ab.tmp"
    young_old_scheme.write_bytes(b"x")
    os.kill(dead.pid, signal.SIGKILL)
    dead.wait()
    try:
        listed = _clean(str(ws), "--dry-run", "--temporary-directory", str(staging))
        assert listed.returncode == 0, listed.stderr
        lines = sorted(listed.stdout.splitlines())
        assert lines == sorted(
            [
                f"would remove {dead_name} (0 bytes)",
                f"would remove {old_scheme} (10 bytes)",
                f"would remove {dead_folder} (0 bytes)",
            ]
        )
        assert "3 leftover(s) found" in listed.stderr
        assert os.path.exists(dead_name) and os.path.isdir(dead_folder)  # dry run

        removed = _clean(str(ws), "--temporary-directory", str(staging))
        assert removed.returncode == 0, removed.stderr
        assert len(removed.stdout.splitlines()) == 3
        assert not os.path.exists(dead_name) and not os.path.exists(dead_folder)
        assert not old_scheme.exists()
        assert os.path.exists(live_name) and os.path.isdir(live_folder)
        assert young_old_scheme.exists() and (ws / "sub" / "out_1.pkl").exists()
        assert live_name == slot_name(str(ws / "b.pkl"), 0)
    finally:
        live.kill()
        live.wait()
    again = _clean(str(ws), "--older-than", "0")
    assert again.returncode == 0
    # the live writer is gone now: its temporary is stale; so is the young file at age 0
    assert sorted(again.stdout.splitlines()) == sorted(
        [f"removed {live_name} (0 bytes)", f"removed {young_old_scheme} (1 bytes)"]
    )


def test_clean_of_a_missing_workspace_finds_nothing(tmp_path: Path) -> None:
    result = _clean(str(tmp_path / "nothing-here"))
    assert result.returncode == 0 and result.stdout == ""
    assert "0 leftover(s) removed" in result.stderr
