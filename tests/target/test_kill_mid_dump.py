"""A process killed (SIGKILL) in the middle of a dump leaves no output that looks complete."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

SLOW_ITEMS = """
import os, time

class SlowItem:
    def __init__(self, i):
        self.i = i
    def __eq__(self, other):
        return isinstance(other, SlowItem) and other.i == self.i
    def __reduce__(self):
        time.sleep(float(os.environ.get("SLOW_SECONDS", "0")))
        return (SlowItem, (self.i,))
"""

PIPELINE = """
import sys
import gokart_core as gokart
from slow_items import SlowItem

PAYLOAD = b"x" * (64 * 2**20)

class BigDump(gokart.TaskOnKart):
    def output(self):
        return self.make_target("big.pkl")
    def run(self):
        self.dump({"payload": PAYLOAD, "items": [SlowItem(i) for i in range(500)]})

if __name__ == "__main__":
    result = gokart.build(BigDump(workspace_directory=sys.argv[1]))
    assert result == {"payload": PAYLOAD, "items": [SlowItem(i) for i in range(500)]}
    print("OK", BigDump(workspace_directory=sys.argv[1]).output().path())
"""


@pytest.mark.slow
def test_sigkill_mid_dump_leaves_no_target_and_a_rebuild_succeeds(tmp_path: Path) -> None:
    (tmp_path / "slow_items.py").write_text(SLOW_ITEMS)
    (tmp_path / "pipeline.py").write_text(textwrap.dedent(PIPELINE))
    (tmp_path / "luigi.cfg").write_text("")
    ws = tmp_path / "ws"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")])),
        "LUIGI_CONFIG_PATH": str(tmp_path / "luigi.cfg"),
    }

    slow = subprocess.Popen(
        [sys.executable, "pipeline.py", str(ws)],
        cwd=tmp_path,
        env={**env, "SLOW_SECONDS": "0.02"},  # 500 items: ~10 s of dumping
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            partial = [p for p in ws.glob(".big_*.tmp") if p.stat().st_size >= 64 * 2**20]
            if partial:
                break
            assert slow.poll() is None, slow.communicate()
            time.sleep(0.01)
        else:
            pytest.fail("the dump never started")
        os.kill(slow.pid, signal.SIGKILL)
    finally:
        slow.wait(timeout=30)
    assert slow.returncode == -signal.SIGKILL

    assert list(ws.glob("big_*.pkl")) == [], "a killed dump left a file that looks complete"

    rebuild = subprocess.run(
        [sys.executable, "pipeline.py", str(ws)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert rebuild.returncode == 0, rebuild.stderr[-3000:]
    assert rebuild.stdout.startswith("OK")
    (output,) = ws.glob("big_*.pkl")
    assert rebuild.stdout.split()[1].endswith(output.name)
    # the killed writer's temporary was removed by the rebuild's dump of the same target
    assert sorted(p.name for p in ws.iterdir() if p.name != "log") == [output.name]
