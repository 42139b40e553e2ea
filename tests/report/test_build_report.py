"""``build(report=...)``, ``run --report=...`` and ``gokart-core report``: what the page holds,
where it can be written, and when."""

from __future__ import annotations

import itertools
import json
import logging
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import fsspec
import luigi
import pytest

import gokart_core as gokart
from gokart_core.in_memory.target import make_in_memory_target
from gokart_core.report import page as report_page
from gokart_core.report.live import LiveReport
from gokart_core.runner import maintenance

from . import pipeline


def data_of(html: str) -> dict[str, Any]:
    match = re.search(r'id="report-data">(.*?)</script>', html, re.S)
    assert match is not None
    found: dict[str, Any] = json.loads(match.group(1))
    return found


def _failing_build(workspace: str, report: str, workers: int = 1) -> None:
    gokart.build(pipeline.RptSource(n=0, workspace_directory=workspace))
    with pytest.raises(gokart.GokartBuildError):
        gokart.build(pipeline.top(workspace), report=report, workers=workers)


@pytest.mark.parametrize("workers", [1, 2])
def test_the_page_holds_states_totals_durations_sizes_and_logs(
    tmp_path: Path, workers: int
) -> None:
    report = tmp_path / "run.html"
    _failing_build(str(tmp_path / "ws"), str(report), workers)
    data = data_of(report.read_text())
    assert data["finished"] is True and data["source"] == "build"
    assert data["totals"] == {
        "cached": 1,
        "ran": 8,
        "failed": 1,
        "blocked": 2,
        "running": 0,
        "pending": 0,
    }
    assert data["wall_time"] > 0
    tasks = {t["id"]: t for t in data["tasks"]}
    assert len(tasks) == 12
    ran = [t for t in tasks.values() if t["state"] == "ran"]
    assert all(t["duration"] is not None and t["duration"] >= 0 for t in ran)
    assert all(o["size"] and o["size"] > 0 for t in ran for o in t["outputs"])
    assert data["bytes_written"] == sum(o["size"] for t in ran for o in t["outputs"])
    doubles = [t for t in ran if t["family"] == "RptDouble"]
    assert sorted(t["task_log"]["doubled"] for t in doubles) == [0, 2, 4, 6]
    (broken,) = [t for t in tasks.values() if t["state"] == "failed"]
    assert "Traceback" in broken["error"] and pipeline.FAILURE in broken["error"]
    sources = [t for t in tasks.values() if t["family"] == "RptSource"]
    assert all(t["params"] == {"n": t["params"]["n"]} for t in sources)  # no secret


def test_a_missing_folder_is_made_and_an_object_store_url_is_written(tmp_path: Path) -> None:
    nested = tmp_path / "not" / "there" / "run.html"
    gokart.build(
        pipeline.RptDouble(n=1, workspace_directory=str(tmp_path / "ws")), report=str(nested)
    )
    assert data_of(nested.read_text())["totals"]["ran"] == 2
    url = "memory://gokart-report-test/nested/run.html"
    gokart.build(pipeline.RptDouble(n=1, workspace_directory=str(tmp_path / "ws")), report=url)
    with fsspec.open(url, "rt") as fp:
        assert data_of(fp.read())["totals"]["cached"] == 1
    fs = fsspec.filesystem("memory")
    assert [p for p in fs.find("/gokart-report-test") if p.endswith(".tmp")] == []


def test_a_report_that_cannot_be_written_warns_and_the_build_builds(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    bad = str(blocker / "run.html")
    with caplog.at_level(logging.WARNING, logger="gokart_core.report.live"):
        value = gokart.build(
            pipeline.RptDouble(n=3, workspace_directory=str(tmp_path / "ws")), report=bad
        )
    assert value == 6
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(bad in m for m in warnings), warnings


class RptSlow(gokart.TaskOnKart[int]):
    seconds = luigi.FloatParameter()

    def requires(self) -> Any:
        return pipeline.RptSource(n=9, workspace_directory=self.workspace_directory)

    def run(self) -> None:
        time.sleep(self.seconds)
        self.dump(self.load())


def test_the_page_is_written_during_the_build_at_most_once_a_second(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes: list[tuple[float, dict[str, Any]]] = []
    real_write = report_page.write

    def spy(url: str, text: str, options: Any = None) -> None:
        writes.append((time.monotonic(), data_of(text)))
        real_write(url, text, options)

    monkeypatch.setattr(report_page, "write", spy)
    report = tmp_path / "run.html"
    seen_running = threading.Event()

    def watch() -> None:  # a reader reloading the page while the build runs
        while not seen_running.is_set():
            if report.exists() and '"state":"running"' in report.read_text():
                seen_running.set()
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    gokart.build(RptSlow(seconds=3.0, workspace_directory=str(tmp_path / "ws")), report=str(report))
    seen_running.set()
    live = [d for _, d in writes if not d["finished"]]
    assert live, "nothing was written during the build"
    assert any(t["state"] == "running" for d in live for t in d["tasks"])
    times = [t for t, _ in writes]
    periodic = times[:-1]  # the last write is the build's end, whenever it comes
    gaps = [b - a for a, b in itertools.pairwise(periodic)]
    # At most once a second (the spy's clock reads after rendering: a little jitter)...
    assert all(g >= 0.9 for g in gaps), gaps
    # ... so no more writes than seconds the build took, however slow the machine is today.
    assert len(periodic) <= int(times[-1] - times[0]) + 1, gaps
    assert writes[-1][1]["finished"] and writes[-1][1]["totals"]["ran"] == 2


def test_run_writes_the_report_of_its_build(tmp_path: Path) -> None:
    report = tmp_path / "cli.html"
    workspace = str(tmp_path / "ws")
    # --no-lock: luigi's pid lock takes a second run() of one process (test_run_cli's) for
    # one already running (exit 10)
    with pytest.raises(SystemExit) as exited:
        gokart.run(
            [
                "RptDouble",
                "--local-scheduler",
                "--n",
                "5",
                "--workspace-directory",
                workspace,
                f"--report={report}",
                "--no-lock",
            ]
        )
    assert exited.value.code == 0
    data = data_of(report.read_text())
    assert data["totals"]["ran"] == 2
    assert {t["family"] for t in data["tasks"]} == {"RptDouble", "RptSource"}


def test_gokart_core_report_draws_from_the_workspace_without_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = str(tmp_path / "ws")
    gokart.build(pipeline.RptSum(workspace_directory=workspace))
    out = tmp_path / "from-workspace.html"
    code = maintenance.main(
        ["report", "--output", str(out), "RptTop", "--workspace-directory", workspace]
    )
    assert code == 0
    data = data_of(out.read_text())
    assert data["source"] == "workspace" and len(data["tasks"]) == 12
    assert data["totals"]["cached"] == 5 and data["totals"]["pending"] == 7
    summed = [t for t in data["tasks"] if t["family"] == "RptDouble" and t["state"] == "cached"]
    assert summed and all(t["processing_time"] is not None for t in summed)
    assert all("doubled" in t["task_log"] for t in summed)
    assert "wrote" in capsys.readouterr().err
    assert not list(Path(workspace).rglob("RptTop_*.pkl"))  # nothing ran


def test_no_secret_of_a_root_task_reaches_the_page(tmp_path: Path) -> None:
    """The title too: luigi's repr of a task has its private parameters."""
    workspace = str(tmp_path / "ws")
    root = pipeline.RptSource(n=4, workspace_directory=workspace)
    assert pipeline.SECRET_PASSWORD in repr(root)  # what a title from str(task) would show
    built = tmp_path / "built.html"
    gokart.build(root, report=str(built))
    drawn = tmp_path / "drawn.html"
    args = ["report", "--output", str(drawn), "RptSource", "--n", "4"]
    assert maintenance.main([*args, "--workspace-directory", workspace]) == 0
    for page in (built, drawn):
        html = page.read_text()
        assert data_of(html)["title"].startswith("RptSource(")
        assert pipeline.SECRET_PASSWORD not in html and pipeline.SECRET_TOKEN not in html


class RptWithReportParameter(gokart.TaskOnKart[str]):
    """A task of its own with a parameter named ``report``."""

    report = luigi.Parameter(default="none")

    def run(self) -> None:
        self.dump(self.report)


def test_a_task_parameter_named_report_stays_the_task_s(tmp_path: Path) -> None:
    workspace = str(tmp_path / "ws")
    page = tmp_path / "run.html"
    common = ["--local-scheduler", "--no-lock", "--workspace-directory", workspace]
    with pytest.raises(SystemExit) as exited:
        gokart.run(["RptWithReportParameter", "--report", "quarterly", *common])
    assert exited.value.code == 0
    built = RptWithReportParameter(report="quarterly", workspace_directory=workspace).output()
    assert built.exists() and built.load() == "quarterly"
    assert not page.exists() and not list(tmp_path.glob("*.html"))
    # Before the task's name it asks for the run report; after it, the task's parameter.
    with pytest.raises(SystemExit) as exited:
        gokart.run([f"--report={page}", "RptWithReportParameter", "--report", "annual", *common])
    assert exited.value.code == 0
    assert RptWithReportParameter(report="annual", workspace_directory=workspace).output().exists()
    assert {t["family"] for t in data_of(page.read_text())["tasks"]} == {"RptWithReportParameter"}


class RptInMemory(gokart.TaskOnKart[int]):
    def output(self) -> Any:
        return make_in_memory_target("rpt_in_memory_key")

    def run(self) -> None:
        self.dump(7)


def test_an_in_memory_output_has_no_size_from_a_file_of_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rpt_in_memory_key").write_text("a file that only shares the key's name")
    page = tmp_path / "run.html"
    gokart.build(RptInMemory(workspace_directory=str(tmp_path / "ws")), report=str(page))
    (task,) = data_of(page.read_text())["tasks"]
    assert task["outputs"] == [{"path": "rpt_in_memory_key", "size": None}]


def test_a_build_without_a_report_imports_nothing_of_it(tmp_path: Path) -> None:
    code = (
        "import sys, gokart_core as gokart\n"
        "class Plain(gokart.TaskOnKart[int]):\n"
        "    def run(self):\n"
        "        self.dump(1)\n"
        f"assert gokart.build(Plain(workspace_directory={str(tmp_path)!r})) == 1\n"
        "print(sorted(m for m in sys.modules if m.startswith('gokart_core.report')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_write_that_hangs_never_hangs_the_end_of_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    hung, release = threading.Event(), threading.Event()

    def hanging(url: str, text: str, options: Any = None) -> None:  # a store that stopped
        hung.set()
        release.wait(30)

    monkeypatch.setattr(report_page, "write", hanging)
    report = LiveReport(str(tmp_path / "run.html"), interval=0.05, stop_wait=0.5)
    report.start()
    try:
        report.on_add_task({"task_id": "T_1", "family": "T", "status": "PENDING"})
        assert hung.wait(10), "the periodic write never started"
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="gokart_core.report.live"):
            report.stop()
        assert time.monotonic() - started < 5
        (record,) = [r for r in caplog.records if "has not finished" in r.getMessage()]
        assert str(tmp_path / "run.html") in record.getMessage()
    finally:
        release.set()


def test_the_logs_of_the_tasks_that_ran_are_read_at_the_end_several_at_a_time(
    tmp_path: Path,
) -> None:
    report = tmp_path / "run.html"
    gokart.build(pipeline.RptSum(workspace_directory=str(tmp_path / "ws")), report=str(report))
    doubles = [t for t in data_of(report.read_text())["tasks"] if t["family"] == "RptDouble"]
    assert sorted(t["task_log"]["doubled"] for t in doubles) == [0, 2]
    assert all(t["processing_time"] is not None for t in doubles)
