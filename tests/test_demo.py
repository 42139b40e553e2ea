from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_demo_runs_and_second_build_is_cached(tmp_path: Path) -> None:
    (tmp_path / "luigi.cfg").write_text("")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "demo.py"), "--workspace", str(tmp_path / "ws")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "LUIGI_CONFIG_PATH": str(tmp_path / "luigi.cfg")},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    runs = [line for line in lines if line.startswith("min_length=")]
    assert runs == [
        "min_length=3: ran LoadCorpus, CountWords, Report",
        "min_length=3: ran nothing (all cached)",
        "min_length=5: ran CountWords, Report",
    ]
    assert lines[-1] == "demo finished"
    assert len(list((tmp_path / "ws" / "demo").glob("report_*.pkl"))) == 2
