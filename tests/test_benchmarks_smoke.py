"""``python -m benchmarks --quick`` runs and writes its tables (the numbers are not checked).

gokart's virtualenv is skipped (``--only-gokart-core``): no network, a few seconds.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_quick_benchmarks_write_the_tables(tmp_path: Path) -> None:
    output = tmp_path / "results.md"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "--quick",
            "--only-gokart-core",
            "--formats",
            "pkl,csv",
            "--output",
            str(output),
            "--workdir",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = output.read_text()
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    for start in (
        "| pkl | gokart-core |",
        "| csv | raw pandas |",
        "| chain of 20 tasks, full build | gokart-core |",
        "| fan-in of 30 leaves, full build | bare luigi |",
        "| the same fan-in, no-op rebuild (fresh process) | gokart-core |",
        "| gokart-core | ",
    ):
        matching = [r for r in rows if r.startswith(start)]
        assert matching, f"no row {start!r} in\n{text}"
        assert "failed" not in matching[0], matching[0]
    assert "## Targets" in text
    assert "gokart 1.12.2 |" not in text  # gokart was skipped
    assert (tmp_path / "results.json").exists()
    # the work folder is cleaned up
    assert not list(tmp_path.glob("gokart-bench-*"))
