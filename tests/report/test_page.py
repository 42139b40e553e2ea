"""The page model and the HTML writer without a browser: states, escaping, layout."""

from __future__ import annotations

from gokart_core.report import page
from gokart_core.report.collect import RunCollector
from gokart_core.report.model import TaskEntry, page_data

from .test_build_report import data_of


def _entries(collector: RunCollector) -> list[TaskEntry]:
    return [TaskEntry(r) for r in collector.snapshot()]


def test_the_collector_tells_cached_ran_failed_and_blocked() -> None:
    c = RunCollector()
    c.on_add_task({"task_id": "C_1", "status": "DONE", "family": "C"})
    c.on_add_task({"task_id": "A_1", "status": "PENDING", "family": "A", "deps": ["C_1"]})
    c.on_add_task({"task_id": "B_1", "status": "PENDING", "family": "B", "deps": ["A_1"]})
    c.on_add_task({"task_id": "D_1", "status": "PENDING", "family": "D"})
    c.on_get_work({"task_id": "A_1"})
    c.on_add_task({"task_id": "A_1", "status": "FAILED", "expl": '"Traceback: boom"'})
    c.on_get_work({"task_id": "D_1"})
    running = page_data(_entries(c), title="t", started=0, finished=None, source="build")
    assert {t["id"]: t["state"] for t in running["tasks"]} == {
        "C_1": "cached",
        "A_1": "failed",
        "B_1": "blocked",
        "D_1": "running",
    }
    c.on_add_task({"task_id": "D_1", "status": "DONE"})
    done = page_data(_entries(c), title="t", started=0, finished=1, source="build")
    by_id = {t["id"]: t for t in done["tasks"]}
    assert by_id["D_1"]["state"] == "ran" and by_id["D_1"]["duration"] is not None
    assert by_id["A_1"]["error"] == "Traceback: boom"
    assert len(done["layout"]["tasks"]["edges"]) == 2  # C -> A -> B


def test_no_text_of_a_task_can_end_the_data_or_inject_markup() -> None:
    c = RunCollector()
    evil = "</script><script>alert(1)</script>"
    c.on_add_task({"task_id": "E_1", "status": "FAILED", "family": "E", "expl": evil})
    data = page_data(_entries(c), title=evil, started=0, finished=1, source="build")
    html = page.render(data)
    assert "<script>alert(1)" not in html
    assert html.count("</script>") == 2  # the data's and the page script's
    assert data_of(html)["tasks"][0]["error"] == evil
