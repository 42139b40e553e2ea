"""``python -m benchmarks --quick`` runs and writes its tables (the numbers are not checked).

gokart's virtualenv is skipped (``--only-gokart-core``): no network, a few seconds.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

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
        timeout=300,
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
        # durable local writes (issue 18): the fan-in with and without fsync
        "| without fsync (default) | ",
        "| durable (fsync) | ",
        "| gokart-core | ",
        # the parallel scenario (issue 12): workers=2 against 1, local and on moto's S3
        "| local folder | gokart-core |",
        "| local folder | bare luigi |",
        "| `s3://` (moto) | gokart-core |",
        "| `s3://` (moto) | bare luigi |",
        "| `s3://` (moto) | bare luigi through s3fs |",
        "| workers=2 ≥ 1.7x faster than 1 worker, 4 CPU-bound leaves, local",
        "| workers=2 speed-up, s3, no lower than bare luigi's",
        # the scaling scenario (issue 14): gokart-core at 50 and 100 tasks (workers=2 up to 50),
        # luigi's scheduler and bare luigi at 20, 40 and 80
        "| fan-in | 1 | 50 | ",
        "| fan-in | 1 | 80 | ",
        "| fan-in | 1 | 100 | ",
        "| fan-in | 2 | 50 | ",
        "| chain | 1 | 100 | ",
        "| chain | 2 | 40 | ",
        "| gokart-core's per-task time at 100 tasks ≤ 1.3x its per-task time at 50 (fan-in",
        "| gokart-core's 100-task fan-in ≥ 10x faster than bare luigi's (workers=1; issue 14) | ",
        "| a 100-task fan-in builds (gokart-core, workers=1",
        # through gokart-luigid, three worker processes per build
        "| (info) gokart-core through gokart-luigid: per-task time at 100 tasks over 50 "
        "(fan-in, workers=1)",
    ):
        matching = [r for r in rows if r.startswith(start)]
        assert matching, f"no row {start!r} in\n{text}"
        assert "failed" not in matching[0], matching[0]
    assert "## Targets" in text
    assert "The leaves' checksum is the same in every build: yes." in text
    (faster,) = [r for r in rows if r.startswith("| gokart-core's 100-task fan-in ≥ 10x")]
    assert " extrapolated from 20, 40, 80 (" in faster, faster  # bare luigi's time, from its fit
    (fanin_100,) = [r for r in rows if r.startswith("| fan-in | 1 | 100 | ")]
    assert "extrapolated" in fanin_100  # bare luigi's 100-task fan-in, from its fit
    (fanin_100_w2,) = [r for r in rows if r.startswith("| fan-in | 2 | 100 | ")]
    assert "not measured (over `--scaling-workers-max-size`)" in fanin_100_w2
    header = next(r for r in rows if r.startswith("| graph | workers | tasks |"))
    luigid = header.split(" | ").index("gokart-core through gokart-luigid")
    (chain_50_w2,) = [r for r in rows if r.startswith("| chain | 2 | 50 | ")]
    assert " ms (" in chain_50_w2.split(" | ")[luigid], chain_50_w2  # measured, not failed
    assert "gokart 1.12.2 |" not in text  # gokart was skipped
    assert (tmp_path / "results.json").exists()
    # the work folder is cleaned up
    assert not list(tmp_path.glob("gokart-bench-*"))


def test_a_partial_run_keeps_the_other_sections(monkeypatch: pytest.MonkeyPatch) -> None:
    """``--scenarios parallel`` into an existing results.md replaces its own section and target
    rows only; the machine section gains a line naming the partial run."""
    monkeypatch.syspath_prepend(str(ROOT))  # benchmarks/ is a folder of the repository only
    from benchmarks.report_merge import merge_markdown

    title = "# Benchmarks: title\n\nintro\n\n"
    old = title + (
        "## Machine and versions\n\n- command: `full`\n- sizes: x\n\n"
        "## Task graphs\n\n| a | b |\n|---|---|\n| fan-in of 1,000 leaves | 2.20 s |\n\n"
        "## Parallel workers: a fan-in of 32 CPU-bound leaves, workers=2 against 1\n\nold\n\n"
        "## Targets (issue 8)\n\n| target | measured | met |\n|---|---|---|\n"
        "| fan-in ≥ 2x faster than gokart | 2.72x | yes |\n"
        "| workers=2 ≥ 1.7x faster than 1 worker, 32 leaves, local | 1.50x | **no** |\n\n"
        "Profile: `benchmarks/profile.txt`.\n"
    )
    new = title + (
        "## Machine and versions\n\n- command: `partial` (1.0 min)\n"
        "- work folder: /dev/shm (tmpfs); date D\n- gokart-core tree: `abc`\n\n"
        "## Parallel workers: a fan-in of 4 CPU-bound leaves, workers=2 against 1\n\nnew\n\n"
        "## Targets (issue 8; issue 12)\n\n| target | measured | met |\n|---|---|---|\n"
        "| workers=2 ≥ 1.7x faster than 1 worker, 4 leaves, local | 1.90x | yes |\n"
        "| workers=2 speed-up, s3, no lower than bare luigi's | 1.00x | yes |\n"
    )
    merged = merge_markdown(old, new, ["parallel"])
    assert "| fan-in of 1,000 leaves | 2.20 s |" in merged
    assert "- command: `full`" in merged
    assert "- partial run (parallel): `partial` (1.0 min), tree `abc`" in merged
    assert "\nnew\n" in merged and "\nold\n" not in merged
    rows = [line for line in merged.splitlines() if line.startswith("| ")]
    assert "| fan-in ≥ 2x faster than gokart | 2.72x | yes |" in rows
    assert "| workers=2 ≥ 1.7x faster than 1 worker, 4 leaves, local | 1.90x | yes |" in rows
    assert not any("1.50x" in r for r in rows)
    assert rows[-1] == "| workers=2 speed-up, s3, no lower than bare luigi's | 1.00x | yes |"
    assert merged.rstrip().endswith("Profile: `benchmarks/profile.txt`.")
    # the same partial run again: one line for it, not two
    again = merge_markdown(merged, new, ["parallel"])
    assert again.count("- partial run (parallel)") == 1
    assert again == merged


def test_a_scaling_run_of_some_builds_keeps_the_other_builds_samples(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``--scenarios scaling --scaling-shapes chain`` after a fan-in run, or one more size
    through gokart-luigid: the section is drawn from every build's samples, a build measured
    again replacing its older samples."""
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks.report_merge import keep_other_samples

    output = tmp_path / "results.md"
    fanin = {"core": {"1": {"1000": [{"seconds": 5.0}]}}, "core-luigid": {"1": {"1000": [1]}}}
    old = {"fanin": fanin, "chain": {"core": {"1": {"1000": [{"seconds": 9.0}]}}}}
    output.with_suffix(".json").write_text(
        json.dumps(
            {
                "scaling": {
                    "shapes": ["fanin", "chain"],
                    "sizes": [1000, 10000],
                    "luigid_sizes": [1000],
                    "columns": ["core", "core-luigid"],
                    "workers_max_size": 10000,
                    "samples": old,
                }
            }
        )
    )
    chain = {"core": {"1": {"1000": [{"seconds": 2.0}]}}}
    data = {"scaling": {"shapes": ["chain"], "sizes": [1000], "samples": {"chain": chain}}}
    data["scaling"]["columns"] = ["core"]
    keep_other_samples(data, output)
    scaling = data["scaling"]
    assert scaling["shapes"] == ["fanin", "chain"]
    assert scaling["samples"] == {"fanin": fanin, "chain": chain}
    assert scaling["sizes"] == [1000, 10000] and scaling["workers_max_size"] == 10000
    # one more cell: 100,000 tasks through gokart-luigid; the others stay
    more = {"core-luigid": {"1": {"100000": [2]}}}
    cell = {
        "scaling": {
            "shapes": ["fanin"],
            "sizes": [100000],
            "baseline_sizes": [100000],
            "luigid_sizes": [100000],
            "columns": ["core-luigid"],
            "workers_max_size": 1000,
            "samples": {"fanin": more},
        }
    }
    keep_other_samples(cell, output)
    assert cell["scaling"]["samples"]["fanin"]["core-luigid"]["1"] == {"1000": [1], "100000": [2]}
    assert cell["scaling"]["samples"]["fanin"]["core"] == fanin["core"]
    assert cell["scaling"]["luigid_sizes"] == [1000, 100000]
    # sizes of columns it did not build stay as they were
    assert cell["scaling"]["sizes"] == [1000, 10000]
    assert cell["scaling"]["baseline_sizes"] == []
    assert cell["scaling"]["columns"] == ["core", "core-luigid"]
    assert cell["scaling"]["workers_max_size"] == 10000
    # no results yet, or no scaling in this run: nothing changes
    alone = {"scaling": {"shapes": ["chain"], "samples": {"chain": chain}}}
    keep_other_samples(alone, tmp_path / "missing.md")
    assert alone["scaling"]["shapes"] == ["chain"]
    keep_other_samples({"samples": {}}, output)


def test_the_comparison_flags_a_row_slower_than_before(monkeypatch: pytest.MonkeyPatch) -> None:
    """``benchmarks.compare`` (issue 13): gokart-core's medians against the replaced results, a
    row over 1.05x is not met, and the baseline's own change is shown as drift."""
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks.compare import section

    def results(core: list[float], luigi: list[float], lock: float) -> dict[str, Any]:
        return {
            "machine": {"commit": "abc1234", "date": "D", "cpu": "X"},
            "samples": {
                "fanin": {
                    "core": [{"ok": True, "seconds": s} for s in core],
                    "luigi": [{"ok": True, "seconds": s} for s in luigi],
                },
                "lock": {"lock": [{"ok": True, "seconds": lock}], "nolock": [{"ok": False}]},
            },
        }

    old = results([2.0, 1.0, 3.0], [1.0], 0.5)
    new = results([2.2, 2.3, 2.1], [1.1], 0.5)
    text = "\n".join(section(old, new))
    rows = {r.split(" | ")[0]: r for r in text.splitlines() if r.startswith("| ")}
    assert "tree `abc1234`" in text
    # median 2.2 against 2.0: 1.10x, and bare luigi 1.10x slower too
    assert rows["| fanin · gokart-core"].endswith("| 1.10x | 1.10x | 1.00x | **no** |")
    assert rows["| lock · gokart-core, locked"].endswith("| 1.00x | n/a | n/a | yes |")
    assert "| lock · gokart-core, no lock" not in rows  # no successful sample: no row
    assert "Slowest change: 1.10x; not every row within 1.05x." in text
    assert "another CPU" not in text
    assert "measured in this run" not in text  # no --core-before
    assert section({"samples": {}}, new) == []

    # --core-before: the earlier tree measured in the same run is compared first
    new["samples"]["fanin"]["core-before"] = [{"ok": True, "seconds": 2.15}]
    new["samples"]["lock"]["lock-before"] = [{"ok": True, "seconds": 0.4}]
    new["machine"]["cpu"] = "Y"
    text = "\n".join(section(old, new, before="abc1234"))
    in_run = text.split("### gokart-core now against the results file")[0]
    assert "### gokart-core now against its tree `abc1234`, measured in this run" in in_run
    assert "| fanin · gokart-core | 2.15 s | 2.20 s | 1.02x | yes |" in in_run
    assert "| lock · gokart-core, locked | 400.0 ms | 500.0 ms | 1.25x | **no** |" in in_run
    assert "Slowest change: 1.25x; not every row within 1.05x." in in_run
    assert "on another CPU: X" in text
