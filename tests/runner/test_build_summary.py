"""The ``gokart_build_finished`` hook: one summary per ``build()`` / ``run()``, collected in the
building process, complete with forked workers; an implementation that raises never fails a
build."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import luigi
import pytest

import gokart_core as gokart
from gokart_core.plugin.manager import Plugins
from gokart_core.plugin_api import BuildSummary, hookimpl
from gokart_core.runner import summary as build_summary


class SummaryLeaf(gokart.TaskOnKart[int]):
    n = luigi.IntParameter()

    def run(self) -> None:
        self.dump(self.n)


class SummaryBoom(gokart.TaskOnKart[int]):
    word = luigi.Parameter(default="kaboom")

    def requires(self) -> Any:
        return SummaryLeaf(n=1, workspace_directory=self.workspace_directory)

    def run(self) -> None:
        raise ValueError(f"row 3 is {self.word}")


class SummaryRoot(gokart.TaskOnKart[int]):
    def requires(self) -> Any:
        ws = self.workspace_directory
        return [
            SummaryLeaf(n=2, workspace_directory=ws),
            SummaryBoom(workspace_directory=ws),
        ]

    def run(self) -> None:
        self.dump(0)


class SummaryOk(gokart.TaskOnKart[int]):
    def requires(self) -> Any:
        return SummaryLeaf(n=5, workspace_directory=self.workspace_directory)

    def run(self) -> None:
        self.dump(self.load() + 1)


class Recorder:
    def __init__(self) -> None:
        self.summaries: list[BuildSummary] = []

    @hookimpl
    def gokart_build_finished(self, summary: BuildSummary) -> None:
        self.summaries.append(summary)


class Raising:
    @hookimpl
    def gokart_build_finished(self, summary: BuildSummary) -> None:
        raise RuntimeError("the report server is down")


@contextmanager
def registered(plugins: Plugins, *found: Any, name: str | None = None) -> Iterator[None]:
    """The plugins ``found`` registered for the block (the last one under ``name``)."""
    for i, plugin in enumerate(found):
        plugins.pm.register(plugin, name=name if i == len(found) - 1 else None)
    try:
        yield
    finally:
        for plugin in found:
            plugins.pm.unregister(plugin)


@pytest.fixture
def recorder(plugins: Plugins) -> Iterator[Recorder]:
    found = Recorder()
    plugins.pm.register(found)
    yield found
    plugins.pm.unregister(found)


def _by_name(summary: BuildSummary) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for task in summary.tasks:
        found.setdefault(task.name, []).append(task)
    return found


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failed_build_is_summarised_once(
    tmp_path: Path, recorder: Recorder, workers: int
) -> None:
    root = SummaryRoot(workspace_directory=str(tmp_path))
    with pytest.raises(gokart.GokartBuildError):
        gokart.build(root, workers=workers)
    assert len(recorder.summaries) == 1
    summary = recorder.summaries[0]
    assert summary.success is False
    assert summary.root_task_ids == (root.task_id,)
    assert summary.root_task_names == ("SummaryRoot",)
    assert summary.root_tasks == (root,)
    assert summary.wall_seconds > 0
    tasks = _by_name(summary)
    assert {t.status for t in tasks["SummaryLeaf"]} == {"completed"}
    assert sorted(t.params["n"] for t in tasks["SummaryLeaf"]) == ["1", "2"]
    (boom,) = tasks["SummaryBoom"]
    assert boom.status == "failed"
    assert boom.params == {"word": "kaboom"}
    assert boom.unique_id == SummaryBoom(workspace_directory=str(tmp_path)).make_unique_id()
    assert boom.error == "ValueError: row 3 is kaboom"
    # The traceback the task's process (a forked child with workers=2) sent the scheduler.
    assert "Traceback" in boom.traceback
    assert "raise ValueError" in boom.traceback
    assert "ValueError: row 3 is kaboom" in boom.traceback
    assert [t.status for t in tasks["SummaryRoot"]] == ["upstream_failure"]
    assert summary.failed == (boom,)
    assert {t.name for t in summary.succeeded} == {"SummaryLeaf"}


def test_a_successful_build_and_a_second_one_with_everything_done(
    tmp_path: Path, recorder: Recorder
) -> None:
    assert gokart.build(SummaryOk(workspace_directory=str(tmp_path))) == 6
    assert gokart.build(SummaryOk(workspace_directory=str(tmp_path))) == 6
    first, second = recorder.summaries
    assert first.success and second.success
    assert {t.name: t.status for t in first.tasks} == {
        "SummaryOk": "completed",
        "SummaryLeaf": "completed",
    }
    assert [t.name for t in second.already_done] == ["SummaryOk"]
    assert second.succeeded == ()


def test_an_implementation_that_raises_is_a_warning(
    tmp_path: Path, plugins: Plugins, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    raising = Raising()
    with (
        registered(plugins, raising, name="raising-report"),
        caplog.at_level(logging.WARNING, logger="gokart_core.runner.summary"),
    ):
        assert gokart.build(SummaryOk(workspace_directory=str(tmp_path))) == 6
    assert len(recorder.summaries) == 1  # the other implementation was still told
    (record,) = [r for r in caplog.records if "gokart_build_finished" in r.getMessage()]
    assert record.levelno == logging.WARNING
    assert "raising-report" in record.getMessage()
    assert "RuntimeError: the report server is down" in record.getMessage()


def test_nothing_is_collected_without_a_listener(
    tmp_path: Path, plugins: Plugins, monkeypatch: pytest.MonkeyPatch
) -> None:
    collected: list[Any] = []
    real = build_summary._collect

    def counted(*args: Any) -> Any:  # calls through: only counts
        collected.append(args)
        return real(*args)

    monkeypatch.setattr(build_summary, "_collect", counted)
    assert not build_summary.listening()
    assert gokart.build(SummaryLeaf(n=9, workspace_directory=str(tmp_path))) == 9
    assert collected == []
    recorder = Recorder()
    with registered(plugins, recorder):
        assert gokart.build(SummaryLeaf(n=9, workspace_directory=str(tmp_path))) == 9
    assert len(collected) == 1 and len(recorder.summaries) == 1


class SummaryBadRequires(gokart.TaskOnKart[int]):
    def requires(self) -> Any:
        raise RuntimeError("the catalogue is unreachable")

    def run(self) -> None:
        self.dump(1)


class SummarySecret(gokart.TaskOnKart[int]):
    day = luigi.Parameter(default="2024-01-01")
    password = luigi.Parameter(visibility=luigi.parameter.ParameterVisibility.PRIVATE)
    token = luigi.Parameter(
        default="t0ken-x", visibility=luigi.parameter.ParameterVisibility.HIDDEN
    )

    def run(self) -> None:
        self.dump(1)


def test_a_task_whose_requires_raises_fails_the_build_as_usual(
    tmp_path: Path, recorder: Recorder
) -> None:
    task = SummaryBadRequires(workspace_directory=str(tmp_path))
    with pytest.raises(gokart.GokartBuildError):
        gokart.build(task)
    (summary,) = recorder.summaries
    assert summary.success is False
    (bad,) = summary.tasks
    assert bad.status == "scheduling_error"
    assert bad.unique_id is None  # it needs requires()


def test_a_summary_that_cannot_be_collected_is_a_warning(
    tmp_path: Path,
    recorder: Recorder,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*args: Any) -> Any:  # a fault in the collection itself
        raise KeyError("status")

    monkeypatch.setattr(build_summary, "_collect", broken)
    with caplog.at_level(logging.WARNING, logger="gokart_core.runner.summary"):
        assert gokart.build(SummaryOk(workspace_directory=str(tmp_path))) == 6
        with pytest.raises(gokart.GokartBuildError):
            gokart.build(SummaryRoot(workspace_directory=str(tmp_path)))
    assert recorder.summaries == []
    warnings = [r.getMessage() for r in caplog.records if "no summary" in r.getMessage()]
    assert len(warnings) == 2 and "KeyError" in warnings[0]


def test_private_and_hidden_parameters_are_not_in_the_summary(
    tmp_path: Path, recorder: Recorder
) -> None:
    task = SummarySecret(workspace_directory=str(tmp_path), password="hunter2-secret")
    assert gokart.build(task) == 1
    (summary,) = recorder.summaries
    (only,) = summary.tasks
    assert dict(only.params) == {"day": "2024-01-01"}
    assert "hunter2" not in repr(summary) and "t0ken" not in repr(summary)


def test_run_tells_a_failure_even_where_luigi_exits_with_0(
    tmp_path: Path, recorder: Recorder, set_config: Any
) -> None:
    for name in ("task_failed", "not_run", "missing_data", "scheduling_error"):
        set_config("retcode", name, "0")  # the user's luigi.cfg (luigi's own defaults)
    args = ["SummaryRoot", "--local-scheduler", "--no-lock", "--workspace-directory", str(tmp_path)]
    with pytest.raises(SystemExit) as exited:
        gokart.run(args)
    assert exited.value.code == 0
    (summary,) = recorder.summaries
    assert summary.success is False
    assert [t.name for t in summary.failed] == ["SummaryBoom"]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_run_on_the_command_line_tells_the_hook(
    tmp_path: Path, recorder: Recorder, workers: str
) -> None:
    # --no-lock: luigi's pid lock takes a command line once per process.
    args = ["SummaryRoot", "--local-scheduler", "--no-lock", "--workers", workers]
    args += ["--workspace-directory", str(tmp_path)]
    with pytest.raises(SystemExit) as exited:
        gokart.run(args)
    assert exited.value.code == 40
    (summary,) = recorder.summaries
    assert summary.success is False
    assert summary.root_task_names == ("SummaryRoot",)
    (boom,) = summary.failed
    assert boom.name == "SummaryBoom"
    assert boom.error == "ValueError: row 3 is kaboom"
    assert {t.name for t in summary.succeeded} == {"SummaryLeaf"}

    recorder.summaries.clear()
    with pytest.raises(SystemExit) as exited:
        gokart.run(
            ["SummaryOk", "--local-scheduler", "--no-lock", "--workspace-directory", f"{tmp_path}"]
        )
    assert exited.value.code == 0
    (summary,) = recorder.summaries
    assert summary.success is True
    assert {t.name for t in summary.succeeded} == {"SummaryOk", "SummaryLeaf"}


def test_error_of_a_traceback_keeps_a_message_of_several_lines() -> None:
    trace = (
        "Runtime error:\nTraceback (most recent call last):\n"
        '  File "x.py", line 3, in run\n    raise KeyError(1)\nKeyError: 1\n\n'
        "During handling of the above exception, another exception occurred:\n\n"
        "Traceback (most recent call last):\n"
        '  File "x.py", line 5, in run\n    raise mod.Bad("a\\nb")\n    ^^^^^^^\n'
        "mod.Bad: first line\n  second line\n"
    )
    assert build_summary.error_of(trace) == "mod.Bad: first line\n  second line"


class Wrapping:
    def __init__(self) -> None:
        self.seen: list[str] = []

    @hookimpl(wrapper=True)
    def gokart_build_finished(self, summary: BuildSummary) -> Any:
        self.seen.append("before")
        result = yield
        self.seen.append("after")
        return result


def test_a_hook_wrapper_wraps_each_implementation(
    tmp_path: Path, plugins: Plugins, recorder: Recorder
) -> None:
    wrapping, raising = Wrapping(), Raising()
    with registered(plugins, wrapping, raising, name="raising-report"):
        assert gokart.build(SummaryOk(workspace_directory=str(tmp_path))) == 6
    assert len(recorder.summaries) == 1
    # Around each call: the raising one's first (registered last), whose exception the
    # wrapper's yield re-raises, then the recorder's.
    assert wrapping.seen == ["before", "before", "after"]


class CountsOnly:
    def __init__(self) -> None:
        self.names: list[tuple[str, ...]] = []

    @hookimpl
    def gokart_build_finished(self, summary: BuildSummary) -> None:
        self.names.append(summary.root_task_names)  # as Slack without a channel: no tasks


def test_tasks_are_described_only_when_an_implementation_reads_them(
    tmp_path: Path, plugins: Plugins, monkeypatch: pytest.MonkeyPatch
) -> None:
    described: list[str] = []
    real = build_summary._task_summary

    def counted(task: Any, *args: Any) -> Any:  # calls through: only counts
        described.append(task.task_id)
        return real(task, *args)

    monkeypatch.setattr(build_summary, "_task_summary", counted)
    counts = CountsOnly()
    with registered(plugins, counts):
        assert gokart.build(SummaryOk(workspace_directory=str(tmp_path))) == 6
    assert counts.names == [("SummaryOk",)] and described == []
    recorder = Recorder()
    with registered(plugins, recorder):
        assert gokart.build(SummaryOk(workspace_directory=str(tmp_path))) == 6
    (summary,) = recorder.summaries
    assert [t.name for t in summary.tasks] == ["SummaryOk"] and len(described) == 1
