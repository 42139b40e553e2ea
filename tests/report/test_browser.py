"""The run report in a real headless Chromium: a 12-task build with one failure (workers=1
and 2), a 1,000-task fan-in (page load under 2 s) and a 10,000-task report (opens by class).
Screenshots are written beside each test's files."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import luigi
import pytest

import gokart_core as gokart
from gokart_core.report import page as report_page
from gokart_core.report.collect import TaskRecord
from gokart_core.report.model import TaskEntry, page_data

from . import pipeline
from .browser import open_report

STATE_COLOURS = {"failed": "rgb(229, 72, 77)", "blocked": "rgb(244, 162, 97)"}


def _build_with_failure(tmp_path: Path, workers: int) -> Path:
    workspace = str(tmp_path / "ws")
    gokart.build(pipeline.RptSource(n=0, workspace_directory=workspace))  # one from cache
    report = tmp_path / "run.html"
    with pytest.raises(gokart.GokartBuildError):
        gokart.build(pipeline.top(workspace), report=str(report), workers=workers)
    return report


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failed_build_shows_every_task_its_edges_states_and_details(
    page: Any, tmp_path: Path, workers: int
) -> None:
    report = _build_with_failure(tmp_path, workers)
    open_report(page, str(report))
    nodes = page.locator("#dag .node")
    ids = nodes.evaluate_all("ns => ns.map(n => n.dataset.taskId)")
    assert len(ids) == 12 and len(set(ids)) == 12  # every task, once
    families = sorted(i.split("_")[0] for i in ids)
    assert families.count("RptSource") == 4 and families.count("RptDouble") == 4
    edges = page.locator("#dag .edge").evaluate_all(
        "es => es.map(e => [e.dataset.from.split('_')[0], e.dataset.to.split('_')[0]])"
    )
    assert len(edges) == 11
    assert ["RptBroken", "RptAfterBroken"] in edges and ["RptSum", "RptTop"] in edges
    assert edges.count(["RptSource", "RptDouble"]) == 4

    states = dict(zip(ids, nodes.evaluate_all("ns => ns.map(n => n.dataset.state)")))
    by_family = {}
    for task_id, state in states.items():
        by_family.setdefault(task_id.split("_")[0], set()).add(state)
    assert by_family["RptBroken"] == {"failed"}
    assert by_family["RptAfterBroken"] == {"blocked"} and by_family["RptTop"] == {"blocked"}
    assert by_family["RptSource"] == {"cached", "ran"} and by_family["RptSum"] == {"ran"}
    for family, state in (("RptBroken", "failed"), ("RptTop", "blocked")):
        fill = page.locator(f'#dag .node[data-task-id^="{family}_"] rect').evaluate(
            "r => getComputedStyle(r).fill"
        )
        assert fill == STATE_COLOURS[state]
    assert "failed: 1" in page.locator("#totals").inner_text()

    page.locator('#dag .node[data-task-id^="RptBroken_"]').click()
    panel = page.locator("#panel")
    assert "RptBroken" in panel.locator("#detail-family").inner_text()
    error = panel.locator("#detail-error").inner_text()
    assert "Traceback" in error and pipeline.FAILURE in error
    assert "/ws/" in panel.locator("#detail-outputs").inner_text()

    page.locator('#dag .node[data-task-id^="RptDouble_"]').first.click()
    params = panel.locator("#detail-params").inner_text()
    assert re.search(r"n\s+\d", params)
    outputs = panel.locator("#detail-outputs").inner_text()
    assert ".pkl" in outputs and "B" in outputs  # a path and its size
    assert "doubled" in panel.locator("#detail-task-log").inner_text()
    page.locator('#dag .node[data-task-id^="RptSource_"]').first.click()
    assert "n" in panel.locator("#detail-params").inner_text()
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert (tmp_path / "report.png").stat().st_size > 10_000

    html = report.read_text()
    assert pipeline.SECRET_TOKEN not in html and pipeline.SECRET_PASSWORD not in html
    assert "<script src" not in html and "<link" not in html  # self-contained


def test_search_finds_a_task_by_parameter_value(page: Any, tmp_path: Path) -> None:
    report = _build_with_failure(tmp_path, 1)
    open_report(page, str(report))
    page.fill("#search", "RptDouble")
    assert page.locator("#search-count").inner_text() == "4 tasks found"
    assert page.locator("#dag .node.match").count() == 4
    page.fill("#search", pipeline.SECRET_TOKEN)
    assert page.locator("#search-count").inner_text() == "0 tasks found"
    page.locator("#panel").evaluate("p => p")  # still there
    page.fill("#search", "")
    page.locator("#view-groups").click()
    assert page.locator("#dag .node").count() == 6  # one per class
    page.locator('#dag .node[data-family="RptDouble"]').click()
    assert page.locator("#group-cells span").count() == 4  # expanded: its tasks
    page.locator("#panel li").first.click()
    assert page.locator("#detail-family").inner_text() == "RptDouble"


class RptFanLeaf(gokart.TaskOnKart[int]):
    n = luigi.IntParameter()

    def run(self) -> None:
        self.dump(self.n)


class RptFanRoot(gokart.TaskOnKart[int]):
    n = luigi.IntParameter()

    def requires(self) -> Any:
        return [
            RptFanLeaf(n=i, workspace_directory=self.workspace_directory) for i in range(self.n)
        ]

    def run(self) -> None:
        self.dump(len(self.load()))


@pytest.mark.slow
def test_a_1000_task_fan_in_renders_in_under_2_seconds(page: Any, tmp_path: Path) -> None:
    report = tmp_path / "fanin.html"
    root = RptFanRoot(n=999, workspace_directory=str(tmp_path / "ws"))
    gokart.build(root, report=str(report))
    seconds = min(open_report(page, str(report)) for _ in range(2))
    assert seconds < 2.0, f"the page took {seconds:.2f} s"
    assert page.locator("#tasks-count").inner_text() == "1000 tasks"
    assert page.locator("#dag").get_attribute("data-view") == "groups"
    assert page.locator('#dag .node[data-family="RptFanLeaf"]').count() == 1
    page.locator('#dag .node[data-family="RptFanLeaf"]').click()
    assert page.locator("#group-cells span").count() == 999
    page.fill("#search", "n=998")
    page.fill("#search", "998")
    assert "found" in page.locator("#search-count").inner_text()
    page.screenshot(path=str(tmp_path / "fanin.png"))


def synthetic_page(n: int, families: int = 4) -> dict[str, Any]:
    """The page of ``n`` tasks in ``families`` layers (each task requiring two of the layer
    above), as a build would record it: no build of 10,000 tasks in the quick suite."""
    entries = []
    per = n // families
    for i in range(n):
        layer = i // per
        deps = [] if layer == 0 else [f"L{layer - 1}_{(i + k) % per}" for k in (0, 1)]
        record = TaskRecord(f"L{layer}_{i % per}", family=f"RptLayer{layer}", deps=deps)
        record.status, record.ran = "DONE", True
        entries.append(TaskEntry(record, unique_id=f"{i:032x}", params={"i": str(i)}))
    return page_data(entries, title="synthetic", started=0.0, finished=1.0, source="build")


def test_a_10000_task_report_opens_grouped_by_class(page: Any, tmp_path: Path) -> None:
    report = tmp_path / "big.html"
    report.write_text(report_page.render(synthetic_page(10_000)))
    seconds = open_report(page, str(report))
    assert page.locator("#dag").get_attribute("data-view") == "groups"
    assert page.locator("#dag .node").count() == 4
    assert page.locator("#view-tasks").is_disabled()
    page.locator('#dag .node[data-family="RptLayer1"]').click()
    assert page.locator("#group-cells span").count() == 2_500
    page.screenshot(path=str(tmp_path / "big.png"))
    assert seconds < 5.0
