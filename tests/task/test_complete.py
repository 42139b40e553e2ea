"""complete(): gokart's semantics, checked through real builds in a temporary workspace.

- a finished task is complete and a second build does not run it again;
- ``rerun=True`` removes the outputs once (per instance) and runs the task again;
- ``strict_check=True`` also needs every upstream task complete;
- ``modification_time_check=True`` also needs the newest input no newer than the oldest output;
- a failing ``run()`` raises GokartBuildError with the original exception and leaves no file;
- ``complete_check_at_run`` skips ``run()`` when the outputs appeared after scheduling.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import luigi
import luigi.task_register
import pytest

import gokart_core as gokart

#: How many times each task class ran (its user ``run`` body, not the wrapper).
RUNS: Counter[str] = Counter()
#: Exceptions raised by failing tasks, to compare by identity with what the build reports.
RAISED: list[BaseException] = []
#: What a failing dump saw on disk while it was writing (see ``Exploding``).
SEEN_WHILE_WRITING: list[list[tuple[str, int]]] = []


@pytest.fixture(autouse=True)
def _reset() -> Iterator[None]:
    RUNS.clear()
    RAISED.clear()
    SEEN_WHILE_WRITING.clear()
    # luigi reuses a task instance for equal parameters; every test starts with new instances.
    luigi.task_register.Register.clear_instance_cache()
    yield
    luigi.task_register.Register.clear_instance_cache()


@pytest.fixture
def ws(tmp_path: Path) -> str:
    return str(tmp_path)


def all_files(root: str) -> list[str]:
    """Every file under ``root`` (hidden ones included), relative, sorted."""
    found = []
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            found.append(os.path.relpath(os.path.join(dirpath, name), root))
    return sorted(found)


def start_logs(*tasks: gokart.TaskOnKart[Any]) -> list[str]:
    """The log files a task writes when it starts, relative: its parameters, for restore(),
    and its random seed."""
    return sorted(
        f"log/{kind}/{type(t).__name__}_{t.make_unique_id()}.pkl"
        for t in tasks
        for kind in ("task_params", "random_seed")
    )


def set_mtime(path: str, when: float) -> None:
    os.utime(path, (when, when))


# ------------------------------------------------------------------------------------------ tasks


class CompSource(gokart.TaskOnKart[int]):
    value = luigi.IntParameter(default=1)

    def output(self) -> Any:
        return self.make_target("source.pkl")

    def run(self) -> None:
        RUNS["CompSource"] += 1
        self.dump(self.value)


class CompSink(gokart.TaskOnKart[int]):
    def requires(self) -> Any:
        return CompSource(workspace_directory=self.workspace_directory)

    def output(self) -> Any:
        return self.make_target("sink.pkl")

    def run(self) -> None:
        RUNS["CompSink"] += 1
        self.dump(self.load() + 10)


class CompTwoOutputs(gokart.TaskOnKart[Any]):
    def output(self) -> Any:
        return {"a": self.make_target("two/a.pkl"), "b": self.make_target("two/b.pkl")}

    def run(self) -> None:
        RUNS["CompTwoOutputs"] += 1
        self.dump("A", "a")
        self.dump("B", "b")


class Boom(Exception):
    pass


class CompFailing(gokart.TaskOnKart[Any]):
    def output(self) -> Any:
        return self.make_target("failing.pkl")

    def run(self) -> None:
        RUNS["CompFailing"] += 1
        exc = Boom("run failed")
        RAISED.append(exc)
        raise exc


class CompAfterFailing(gokart.TaskOnKart[Any]):
    def requires(self) -> Any:
        return CompFailing(workspace_directory=self.workspace_directory)

    def output(self) -> Any:
        return self.make_target("after_failing.pkl")

    def run(self) -> None:
        RUNS["CompAfterFailing"] += 1
        self.dump("never")


class Exploding:
    """Pickling this fails after the bytes before it were written: a partial file exists."""

    def __init__(self, folder: str) -> None:
        self.folder = folder

    def __reduce__(self) -> Any:
        SEEN_WHILE_WRITING.append(
            [(p, os.path.getsize(os.path.join(self.folder, p))) for p in all_files(self.folder)]
        )
        exc = Boom("failed halfway through pickling")
        RAISED.append(exc)
        raise exc


class CompPartialDump(gokart.TaskOnKart[Any]):
    def output(self) -> Any:
        return self.make_target("partial/out.pkl")

    def run(self) -> None:
        RUNS["CompPartialDump"] += 1
        folder = os.path.dirname(self.output().path())
        self.dump([b"x" * (4 << 20), Exploding(folder)])


class CompRaced(gokart.TaskOnKart[str]):
    """Its output is written by its upstream task while it waits to run (another worker)."""

    def requires(self) -> Any:
        return CompRacer(workspace_directory=self.workspace_directory)

    def output(self) -> Any:
        return self.make_target("raced.pkl")

    def run(self) -> None:
        RUNS["CompRaced"] += 1
        self.dump("written by run")


class CompRacer(gokart.TaskOnKart[str]):
    def output(self) -> Any:
        return self.make_target("racer.pkl")

    def run(self) -> None:
        RUNS["CompRacer"] += 1
        CompRaced(workspace_directory=self.workspace_directory).output().dump("from elsewhere")
        self.dump("racer")


class CompNoOutputMethod(gokart.TaskOnKart[str]):
    """No output(): gokart's default is ``self.make_target()``."""

    def run(self) -> None:
        RUNS["CompNoOutputMethod"] += 1
        self.dump("default output")


# ----------------------------------------------------------------------- complete and not rerun


def test_finished_task_is_complete_and_not_rerun(ws: str) -> None:
    task = CompSink(workspace_directory=ws)
    assert not task.complete()
    assert not task.requires().complete()

    assert gokart.build(task) == 11
    assert RUNS == {"CompSource": 1, "CompSink": 1}
    assert task.complete()
    assert task.requires().complete()

    assert gokart.build(task) == 11
    assert RUNS == {"CompSource": 1, "CompSink": 1}

    # A new instance (a new application) finds the outputs too.
    luigi.task_register.Register.clear_instance_cache()
    fresh = CompSink(workspace_directory=ws)
    assert fresh is not task
    assert fresh.complete()
    assert gokart.build(fresh) == 11
    assert RUNS == {"CompSource": 1, "CompSink": 1}


def test_output_paths_live_in_the_workspace(ws: str) -> None:
    task = CompSink(workspace_directory=ws)
    gokart.build(task)
    uid_sink = task.make_unique_id()
    uid_source = task.requires().make_unique_id()
    # Beside the outputs: the supplementary logs of both runs (module_versions is .txt, whose
    # format these tests do not install).
    logs = [
        f"log/{kind}/{name}_{uid}.pkl"
        for kind in ("processing_time", "task_params", "task_log", "random_seed")
        for name, uid in (("CompSink", uid_sink), ("CompSource", uid_source))
    ]
    assert all_files(ws) == sorted([f"sink_{uid_sink}.pkl", f"source_{uid_source}.pkl", *logs])


def test_all_outputs_are_needed(ws: str) -> None:
    task = CompTwoOutputs(workspace_directory=ws)
    assert gokart.build(task) == {"a": "A", "b": "B"}
    assert task.complete()

    os.remove(task.output()["b"].path())
    assert not task.complete()
    assert gokart.build(task) == {"a": "A", "b": "B"}
    assert RUNS["CompTwoOutputs"] == 2
    assert task.complete()


def test_task_without_output_method_uses_default_target(ws: str) -> None:
    """gokart's TaskOnKart.output() returns self.make_target(): such a task runs once and
    writes ``{workspace}/{module path}/{ClassName}_{uid}.pkl``."""
    task = CompNoOutputMethod(workspace_directory=ws)
    assert not task.complete()
    assert gokart.build(task) == "default output"
    assert RUNS["CompNoOutputMethod"] == 1
    module_path = CompNoOutputMethod.__module__.replace(".", "/")
    expected = f"{ws}/{module_path}/CompNoOutputMethod_{task.make_unique_id()}.pkl"
    assert os.path.isfile(expected)
    assert task.complete()


# ------------------------------------------------------------------------------------------ rerun


def test_rerun_runs_again_once_per_instance(ws: str) -> None:
    assert gokart.build(CompSink(workspace_directory=ws)) == 11
    assert RUNS == {"CompSource": 1, "CompSink": 1}

    task = CompSink(workspace_directory=ws, rerun=True)
    output_path = task.output().path()
    assert os.path.isfile(output_path)
    assert gokart.build(task) == 11
    # The task ran again; its upstream (no rerun) did not.
    assert RUNS == {"CompSource": 1, "CompSink": 2}
    # The outputs are removed only once: the new output stays, and the instance is complete.
    assert os.path.isfile(output_path)
    assert task.complete()
    assert task.complete()
    assert os.path.isfile(output_path)

    # The same instance does not run again.
    assert gokart.build(task) == 11
    assert RUNS == {"CompSource": 1, "CompSink": 2}

    # A new instance with rerun=True reruns once more.
    luigi.task_register.Register.clear_instance_cache()
    again = CompSink(workspace_directory=ws, rerun=True)
    assert again is not task
    assert gokart.build(again) == 11
    assert RUNS == {"CompSource": 1, "CompSink": 3}


def test_rerun_complete_removes_outputs_once(ws: str) -> None:
    gokart.build(CompTwoOutputs(workspace_directory=ws))
    task = CompTwoOutputs(workspace_directory=ws, rerun=True)
    paths = [t.path() for t in task.output().values()]
    assert all(os.path.isfile(p) for p in paths)

    assert task.complete() is False
    assert not any(os.path.exists(p) for p in paths)

    # Not removed a second time: once the outputs are back, the task is complete.
    task.dump("A2", "a")
    task.dump("B2", "b")
    assert task.complete() is True
    assert all(os.path.isfile(p) for p in paths)
    assert task.output()["a"].load() == "A2"


def test_rerun_without_existing_outputs_runs_once(ws: str) -> None:
    task = CompSource(workspace_directory=ws, rerun=True, value=5)
    assert gokart.build(task) == 5
    assert RUNS == {"CompSource": 1}
    assert gokart.build(task) == 5
    assert RUNS == {"CompSource": 1}


# ----------------------------------------------------------------------------------- strict_check


def test_strict_check_needs_upstream_outputs(ws: str) -> None:
    task = CompSink(workspace_directory=ws, strict_check=True)
    assert gokart.build(task) == 11
    assert task.complete()

    os.remove(CompSource(workspace_directory=ws).output().path())
    assert not task.complete()
    # Without strict_check the task's own output is enough.
    assert CompSink(workspace_directory=ws).complete()

    assert gokart.build(task) == 11
    assert RUNS["CompSource"] == 2
    assert task.complete()


def test_strict_check_rebuild_reruns_task_without_run_check(ws: str) -> None:
    task = CompSink(workspace_directory=ws, strict_check=True, complete_check_at_run=False)
    gokart.build(task)
    assert RUNS == {"CompSource": 1, "CompSink": 1}

    os.remove(task.requires().output().path())
    assert not task.complete()
    assert gokart.build(task) == 11
    assert RUNS == {"CompSource": 2, "CompSink": 2}
    assert task.complete()


def test_strict_check_when_own_output_missing(ws: str) -> None:
    task = CompSink(workspace_directory=ws, strict_check=True)
    gokart.build(task)
    os.remove(task.output().path())
    assert not task.complete()


# ------------------------------------------------------------------------ modification_time_check


def test_modification_time_check(ws: str) -> None:
    task = CompSink(workspace_directory=ws, modification_time_check=True)
    assert gokart.build(task) == 11
    input_path = CompSource(workspace_directory=ws).output().path()
    output_path = task.output().path()
    now = time.time()

    set_mtime(output_path, now - 100)
    set_mtime(input_path, now - 200)
    assert task.complete()

    # Equal times: complete (gokart compares with <=).
    set_mtime(input_path, now - 100)
    assert task.complete()

    set_mtime(input_path, now - 50)
    assert not task.complete()
    # Without the flag only existence counts.
    assert CompSink(workspace_directory=ws).complete()

    # A build runs the task again, which makes its output newer than the input.
    assert gokart.build(task) == 11
    assert RUNS == {"CompSource": 1, "CompSink": 2}
    assert task.complete()


def test_modification_time_check_needs_upstream_outputs(ws: str) -> None:
    task = CompSink(workspace_directory=ws, modification_time_check=True)
    gokart.build(task)
    os.remove(task.requires().output().path())
    assert not task.complete()


def test_modification_time_check_without_inputs(ws: str) -> None:
    task = CompSource(workspace_directory=ws, modification_time_check=True)
    gokart.build(task)
    set_mtime(task.output().path(), time.time() - 1000)
    assert task.complete()


# ---------------------------------------------------------------------------------------- failure


def test_failing_run_raises_build_error_with_the_exception(ws: str) -> None:
    task = CompFailing(workspace_directory=ws)
    with pytest.raises(gokart.GokartBuildError) as info:
        gokart.build(task)
    assert RUNS == {"CompFailing": 1}
    assert len(RAISED) == 1
    raised = info.value.raised_exceptions
    assert task.task_id in raised
    assert any(exc is RAISED[0] for exc in raised[task.task_id])
    assert all_files(ws) == start_logs(task)
    assert not task.complete()


def test_failing_upstream_stops_downstream(ws: str) -> None:
    task = CompAfterFailing(workspace_directory=ws)
    with pytest.raises(gokart.GokartBuildError) as info:
        gokart.build(task)
    assert RUNS == {"CompFailing": 1}
    reported = [exc for excs in info.value.raised_exceptions.values() for exc in excs]
    assert any(exc is RAISED[0] for exc in reported)
    assert all_files(ws) == start_logs(task.requires())
    assert not task.complete()


def test_failing_dump_leaves_no_partial_file(ws: str) -> None:
    task = CompPartialDump(workspace_directory=ws)
    with pytest.raises(gokart.GokartBuildError) as info:
        gokart.build(task)
    assert RUNS == {"CompPartialDump": 1}

    # While the dump was running, a hidden temporary file held the bytes written so far ...
    assert len(SEEN_WHILE_WRITING) == 1
    (seen,) = SEEN_WHILE_WRITING
    assert seen, "the dump wrote nothing before failing; the test needs a partial file"
    assert all(os.path.basename(name).startswith(".") for name, _ in seen)
    assert any(size > 0 for _, size in seen)
    # ... and nothing at all is left afterwards: no target, no temporary file.
    assert all_files(ws) == start_logs(task)
    assert not os.path.exists(task.output().path())
    assert not task.complete()

    # The original exception is reported, as the error or as its cause.
    reported = info.value.raised_exceptions[task.task_id]
    chain = []
    for exc in reported:
        while exc is not None:
            chain.append(exc)
            exc = exc.__cause__ or exc.__context__
    assert any(exc is RAISED[0] for exc in chain)


def test_failed_task_runs_on_next_build(ws: str) -> None:
    with pytest.raises(gokart.GokartBuildError):
        gokart.build(CompFailing(workspace_directory=ws))
    luigi.task_register.Register.clear_instance_cache()
    with pytest.raises(gokart.GokartBuildError):
        gokart.build(CompFailing(workspace_directory=ws))
    assert RUNS == {"CompFailing": 2}


# -------------------------------------------------------------------------- complete_check_at_run


def test_complete_check_at_run_skips_run_when_output_appeared(ws: str) -> None:
    task = CompRaced(workspace_directory=ws)
    assert gokart.build(task) == "from elsewhere"
    assert RUNS == {"CompRacer": 1}
    assert task.complete()


def test_without_complete_check_at_run_the_task_runs(ws: str) -> None:
    task = CompRaced(workspace_directory=ws, complete_check_at_run=False)
    assert gokart.build(task) == "written by run"
    assert RUNS == {"CompRacer": 1, "CompRaced": 1}


def test_complete_check_at_run_direct_call(ws: str) -> None:
    task = CompSource(workspace_directory=ws, value=3)
    task.output().dump(99)
    task.run()
    assert RUNS == {}
    assert task.output().load() == 99


def test_complete_check_at_run_runs_when_incomplete(ws: str) -> None:
    task = CompSource(workspace_directory=ws, value=3)
    task.run()
    assert RUNS == {"CompSource": 1}
    assert task.output().load() == 3


def test_complete_check_at_run_false_direct_call(ws: str) -> None:
    task = CompSource(workspace_directory=ws, value=3, complete_check_at_run=False)
    task.output().dump(99)
    task.run()
    assert RUNS == {"CompSource": 1}
    assert task.output().load() == 3
