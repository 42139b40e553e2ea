"""Supplementary log files (gokart's ``log/`` layout), ``TaskOnKart.restore`` and the getters."""

from __future__ import annotations

import datetime
import importlib
import json
import logging
import os
import pickle
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import luigi
import luigi.configuration
import pandas as pd
import pytest

import gokart_core as gokart
import gokart_pickle
import gokart_text
from gokart_core.plugin.manager import Plugins, use_plugin_manager
from gokart_core.task import logs as supplementary_logs
from gokart_core.task import task_parameters as parameters
from gokart_core.task.task_parameters import GOKART_COMPATIBLE_NESTING
from gokart_core.testing import builtins_only_plugin_manager

from .. import compat_logs, formats

KINDS = ("processing_time", "task_params", "module_versions", "task_log", "random_seed")


@pytest.fixture
def with_text() -> Iterator[Plugins]:
    """Pickle and text formats: every kind of log file can be written."""
    pm = builtins_only_plugin_manager(gokart_pickle, gokart_text, formats)
    with use_plugin_manager(pm) as plugins:
        yield plugins


@pytest.fixture
def ws(tmp_path: Path) -> str:
    return str(tmp_path / "resources")


def log_path(ws: str, kind: str, task: gokart.TaskOnKart[Any]) -> str:
    ext = ".txt" if kind == "module_versions" else ".pkl"
    return os.path.join(ws, "log", kind, f"{type(task).__name__}_{task.make_unique_id()}{ext}")


def read_pickle(path: str) -> Any:
    with open(path, "rb") as fp:
        return pickle.load(fp)


class LogSlow(gokart.TaskOnKart[Any]):
    x = luigi.IntParameter()
    day = luigi.DateParameter(default=datetime.date(2024, 5, 6))
    sleep = luigi.FloatParameter(default=0.0, significant=False)

    def output(self) -> Any:
        return self.make_target("slow.pkl")

    def run(self) -> None:
        time.sleep(self.sleep)
        self.task_log["rows"] = 42
        self.dump(self.x)


class LogFailing(gokart.TaskOnKart[Any]):
    upstream = gokart.TaskInstanceParameter()
    y = luigi.IntParameter()

    def output(self) -> Any:
        return self.make_target("failing.pkl")

    def run(self) -> None:
        self.task_log["started"] = True
        raise RuntimeError("boom")


class LogChain(gokart.TaskOnKart[Any]):
    dep = gokart.TaskInstanceParameter()
    i = luigi.IntParameter()


class LogImports(gokart.TaskOnKart[Any]):
    module = luigi.Parameter()

    def run(self) -> None:
        importlib.import_module(self.module)
        self.dump(self.module)


class LogDownstream(gokart.TaskOnKart[Any]):
    upstream = gokart.TaskInstanceParameter()
    label = luigi.Parameter(default="d")

    def output(self) -> Any:
        return {"a": self.make_target("down_a.pkl"), "b": self.make_target("down_b.pkl")}

    def run(self) -> None:
        self.dump(self.load("upstream"), "a")
        self.dump(self.label, "b")


def test_logs_are_written_after_a_successful_run(ws: str, with_text: Plugins) -> None:
    task = LogSlow(x=3, sleep=0.05, workspace_directory=ws)
    gokart.build(task)
    assert read_pickle(log_path(ws, "processing_time", task)) >= 0.05
    params = read_pickle(log_path(ws, "task_params", task))
    assert params == {"x": "3", "day": "2024-05-06"} == task.to_str_params(only_significant=True)
    assert read_pickle(log_path(ws, "task_log", task)) == {
        "rows": 42,
        "file_path": [os.path.join(ws, f"slow_{task.make_unique_id()}.pkl")],
    }
    with open(log_path(ws, "module_versions", task)) as fp:
        versions = fp.read().splitlines()
    assert f"luigi=={luigi.__version__}" in versions
    assert f"gokart_core=={gokart.__version__}" in versions
    assert versions == sorted(versions)
    names = [line.split("==")[0] for line in versions]
    assert not any(n.startswith("_") or "." in n or n in sys.stdlib_module_names for n in names)


def test_task_log_lists_every_output(ws: str, with_text: Plugins) -> None:
    task = LogDownstream(upstream=LogSlow(x=1, workspace_directory=ws), workspace_directory=ws)
    gokart.build(task)
    uid = task.make_unique_id()
    assert read_pickle(log_path(ws, "task_log", task))["file_path"] == [
        os.path.join(ws, f"down_a_{uid}.pkl"),
        os.path.join(ws, f"down_b_{uid}.pkl"),
    ]
    # the task given as a parameter is logged in gokart's serialized form, so it can be restored
    assert (
        json.loads(read_pickle(log_path(ws, "task_params", task))["upstream"])["type"] == "LogSlow"
    )


def test_opting_out_writes_no_log(ws: str, with_text: Plugins) -> None:
    task = LogSlow(x=1, workspace_directory=ws, should_dump_supplementary_log_files=False)
    gokart.build(task)
    assert os.listdir(ws) == [f"slow_{task.make_unique_id()}.pkl"]


def test_opting_out_in_the_shared_config_section(
    ws: str, with_text: Plugins, set_config: Any
) -> None:
    set_config("TaskOnKart", "should_dump_supplementary_log_files", "False")
    gokart.build(LogSlow(x=1, workspace_directory=ws))
    assert not os.path.exists(os.path.join(ws, "log"))


def test_a_failed_run_logs_its_params_and_can_be_restored(
    ws: str, with_text: Plugins, set_config: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # As gokart: parameters and module versions are written when the task starts, and the
    # failure logs the unique id, so the failed task can be recreated to debug it.
    caplog.set_level(logging.INFO, logger="gokart_core.task.logs")
    task = LogFailing(upstream=LogSlow(x=13, workspace_directory=ws), y=5, workspace_directory=ws)
    with pytest.raises(gokart.GokartBuildError):
        gokart.build(task, log_level=logging.INFO)
    uid = task.make_unique_id()
    assert f"FAILURE:\n    task name=LogFailing\n    unique id={uid}" in caplog.text
    assert read_pickle(log_path(ws, "task_params", task)) == task.to_str_params(
        only_significant=True
    )
    with open(log_path(ws, "module_versions", task)) as fp:
        assert f"luigi=={luigi.__version__}" in fp.read().splitlines()
    for kind in ("processing_time", "task_log"):  # written on success only
        assert not os.path.exists(log_path(ws, kind, task))
    set_config("TaskOnKart", "workspace_directory", ws)
    luigi.task_register.Register.clear_instance_cache()
    restored = LogFailing.restore(uid)
    assert restored is not task
    assert restored.y == 5 and restored.upstream.x == 13
    assert restored.make_unique_id() == uid
    assert restored.upstream.complete() and not restored.complete()
    with pytest.raises(RuntimeError, match="boom"):
        restored.run()  # the failure, again, to debug


def test_restore_of_a_task_parameter_nested_too_deep(
    ws: str, with_text: Plugins, set_config: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nested more than GOKART_COMPATIBLE_NESTING levels, a task parameter is logged as a digest.
    # The limit is lowered from 200 to 3 to keep the test fast (the gokart form of 200 nested
    # tasks takes seconds to compress and parse); test_parameters checks it at 200.
    assert GOKART_COMPATIBLE_NESTING == 200
    limit = 3
    monkeypatch.setattr(parameters, "GOKART_COMPATIBLE_NESTING", limit)
    set_config("TaskOnKart", "workspace_directory", ws)
    task: Any = LogSlow(x=0, workspace_directory=ws)
    for i in range(limit + 2):
        task = LogChain(dep=task, i=i, workspace_directory=ws)
        task.trigger_event(luigi.Event.START, task)  # writes task_params, as a run would
    deepest_restorable = task.dep  # its parameter is nested `limit` levels deep
    assert LogChain.restore(deepest_restorable.make_unique_id()).i == deepest_restorable.i
    with pytest.raises(ValueError, match="cannot be parsed back"):
        LogChain.restore(task.make_unique_id())


def test_module_versions_list_what_run_imported(
    ws: str, with_text: Plugins, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Written at the start, and again after run() when run() imported packages.
    (tmp_path / "imported_by_run_pkg.py").write_text("__version__ = '3.2.1'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "imported_by_run_pkg", raising=False)
    task = LogImports(module="imported_by_run_pkg", workspace_directory=ws)
    gokart.build(task)
    with open(log_path(ws, "module_versions", task)) as fp:
        assert "imported_by_run_pkg==3.2.1" in fp.read().splitlines()


def test_a_log_format_not_installed_is_skipped_with_one_debug_line(
    ws: str, caplog: pytest.LogCaptureFixture
) -> None:
    # conftest's plugins have .pkl but no .txt
    caplog.set_level(logging.DEBUG, logger="gokart_core.task.logs")
    tasks = [LogSlow(x=i, workspace_directory=ws) for i in range(3)]
    for task in tasks:
        gokart.build(task)
    for task in tasks:
        assert not os.path.exists(log_path(ws, "module_versions", task))
        for kind in ("processing_time", "task_params", "task_log"):
            assert os.path.exists(log_path(ws, kind, task))
    skipped = [r for r in caplog.records if "module_versions" in r.getMessage()]
    assert len(skipped) == 1
    assert skipped[0].levelno == logging.DEBUG
    assert "'.txt'" in skipped[0].getMessage()  # the registry's message names the extension


def test_no_log_format_at_all_still_runs_the_task(ws: str) -> None:
    class JsonOut(gokart.TaskOnKart[Any]):
        def output(self) -> Any:
            return self.make_target("out.tjson")

        def run(self) -> None:
            self.dump({"a": 1})

    with use_plugin_manager(builtins_only_plugin_manager(formats)):
        assert gokart.build(JsonOut(workspace_directory=ws)) == {"a": 1}
    assert not os.path.exists(os.path.join(ws, "log"))


def test_a_log_that_cannot_be_written_is_a_warning(
    ws: str, with_text: Plugins, caplog: pytest.LogCaptureFixture
) -> None:
    os.makedirs(ws)
    Path(ws, "log").write_text("a file where the log folder belongs")
    task = LogSlow(x=5, workspace_directory=ws)
    assert gokart.build(task, log_level=logging.WARNING) == 5
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and r.name == "gokart_core.task.logs"
    ]
    assert len(warnings) == len(KINDS)
    for kind in KINDS:  # each names the file it could not write
        assert any(log_path(ws, kind, task) in message for message in warnings)


def test_a_skipped_run_leaves_the_logs_alone(ws: str, with_text: Plugins) -> None:
    # Another worker wrote the output between scheduling and run(): the run is skipped, and
    # that worker's logs (here: none) are not replaced by those of a run that did nothing.
    task = LogSlow(x=9, workspace_directory=ws)
    task.output().dump(9)
    task.run()
    task.trigger_event(luigi.Event.PROCESSING_TIME, task, 0.001)
    task.trigger_event(luigi.Event.SUCCESS, task)
    assert not os.path.exists(os.path.join(ws, "log"))


def test_a_skipped_run_keeps_the_logs_of_the_run_that_wrote_the_outputs(
    ws: str, with_text: Plugins
) -> None:
    # Another worker ran the task (here: a build); this one was scheduled before that finished
    # and runs all events. START rewrites task_params and module_versions with the same
    # content (same unique id: same parameters; same environment: same versions); the skipped
    # run writes no processing_time or task_log of its own.
    gokart.build(LogSlow(x=12, sleep=0.05, workspace_directory=ws))
    luigi.task_register.Register.clear_instance_cache()
    task = LogSlow(x=12, workspace_directory=ws)

    def logged() -> dict[str, bytes]:
        return {kind: Path(log_path(ws, kind, task)).read_bytes() for kind in KINDS}

    before = logged()
    task.trigger_event(luigi.Event.START, task)
    task.run()
    assert task._run_skipped
    task.trigger_event(luigi.Event.PROCESSING_TIME, task, 0.001)
    task.trigger_event(luigi.Event.SUCCESS, task)
    assert logged() == before
    assert read_pickle(log_path(ws, "processing_time", task)) >= 0.05


def test_a_run_after_a_skipped_one_writes_its_logs(ws: str, with_text: Plugins) -> None:
    # luigi hands out the same instance for the same parameters: a skip is not remembered.
    task = LogSlow(x=10, workspace_directory=ws)
    task.output().dump(10)
    task.run()  # skipped: the output is there
    task.output().remove()
    gokart.build(task)
    assert LogSlow(x=10, workspace_directory=ws) is task
    assert os.path.exists(log_path(ws, "processing_time", task))


def test_rerun_replaces_the_logs(ws: str, with_text: Plugins) -> None:
    gokart.build(LogSlow(x=2, sleep=0.2, workspace_directory=ws))
    task = LogSlow(x=2, sleep=0.0, rerun=True, workspace_directory=ws)
    gokart.build(task)
    assert read_pickle(log_path(ws, "processing_time", task)) < 0.2


def test_getters_read_the_logs(ws: str, with_text: Plugins) -> None:
    built = LogSlow(x=4, sleep=0.02, workspace_directory=ws)
    fresh = LogSlow(x=4, workspace_directory=ws, sleep=1.0)  # sleep is insignificant: same id
    assert fresh.get_processing_time() == "unknown"
    assert fresh.get_task_log() == {}
    assert fresh.get_task_params() == {}
    gokart.build(built)
    luigi.task_register.Register.clear_instance_cache()
    fresh = LogSlow(x=4, workspace_directory=ws, sleep=1.0)
    assert fresh is not built
    processing_time = fresh.get_processing_time()
    assert isinstance(processing_time, float) and processing_time >= 0.02
    assert fresh.get_task_log()["rows"] == 42
    assert fresh.get_task_params() == {"x": "4", "day": "2024-05-06"}


def test_restore_recreates_the_task(ws: str, with_text: Plugins, set_config: Any) -> None:
    upstream = LogSlow(x=8, day=datetime.date(2023, 1, 2), workspace_directory=ws)
    task = LogDownstream(upstream=upstream, label="restored", workspace_directory=ws)
    gokart.build(task)
    set_config("TaskOnKart", "workspace_directory", ws)
    luigi.task_register.Register.clear_instance_cache()
    restored = LogDownstream.restore(task.make_unique_id())
    assert type(restored) is LogDownstream
    assert restored.label == "restored"
    assert restored.upstream.x == 8 and restored.upstream.day == datetime.date(2023, 1, 2)
    assert restored.make_unique_id() == task.make_unique_id()
    assert restored.complete()
    assert restored.output()["b"].load() == "restored"


def test_restore_reads_the_workspace_of_the_class_section(ws: str, set_config: Any) -> None:
    task = LogSlow(x=6, workspace_directory=ws)
    gokart.build(task)
    set_config("TaskOnKart", "workspace_directory", os.path.join(ws, "elsewhere"))
    set_config("LogSlow", "workspace_directory", ws)  # the class's own section wins
    luigi.task_register.Register.clear_instance_cache()
    assert LogSlow.restore(task.make_unique_id()).x == 6


def test_restore_on_a_memory_workspace(memory_workspace: str, set_config: Any) -> None:
    task = LogSlow(x=11, workspace_directory=memory_workspace)
    gokart.build(task)
    set_config("TaskOnKart", "workspace_directory", memory_workspace)
    assert LogSlow.restore(task.make_unique_id()).x == 11


def test_restore_without_a_log_names_the_path(ws: str, set_config: Any) -> None:
    set_config("TaskOnKart", "workspace_directory", ws)
    expected = os.path.join(ws, "log/task_params/LogSlow_0123abcd.pkl")
    with pytest.raises(gokart.TargetNotFoundError) as info:
        LogSlow.restore("0123abcd")
    assert repr(expected) in str(info.value)
    assert "LogSlow.restore('0123abcd')" in str(info.value)


def test_restore_of_a_log_that_is_not_a_dict(ws: str, set_config: Any) -> None:
    path = os.path.join(ws, "log", "task_params", "LogSlow_feed.pkl")
    os.makedirs(os.path.dirname(path))
    with open(path, "wb") as fp:
        pickle.dump(["not", "params"], fp)
    set_config("TaskOnKart", "workspace_directory", ws)
    with pytest.raises(TypeError, match="holds list, not a dict of parameters"):
        LogSlow.restore("feed")


def test_module_versions_follow_imports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "freshly_imported_pkg.py").write_text("__version__ = '9.8.7 (build 1)'\n")
    (tmp_path / "_private_pkg.py").write_text("__version__ = '1.0'\n")
    (tmp_path / "tuple_version_pkg.py").write_text("__version__ = (1, 2, 3)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    before = supplementary_logs.module_versions()
    assert "freshly_imported_pkg==" not in before
    for name in ("freshly_imported_pkg", "_private_pkg", "tuple_version_pkg"):
        monkeypatch.delitem(sys.modules, name, raising=False)
        __import__(name)
    after = supplementary_logs.module_versions().splitlines()
    assert "freshly_imported_pkg==9.8.7" in after
    assert "tuple_version_pkg==1.2.3" in after
    assert not any(line.startswith("_private_pkg") for line in after)


def test_logs_are_where_gokart_writes_them(
    tmp_path: Path, with_text: Plugins, set_config: Any
) -> None:
    """gokart 1.12.2 (PyPI, in a subprocess) and gokart_core build the same task: the log files
    have the same paths, the random seeds logged are the same, and each restores the task
    from the other's logs."""
    core_ws, gokart_ws = str(tmp_path / "core"), str(tmp_path / "gokart")
    leaf_cls, cls = compat_logs.define(gokart)
    task = compat_logs.make_task(leaf_cls, cls, core_ws)
    gokart.build(task)
    done = subprocess.run(
        [sys.executable, compat_logs.__file__, "gokart", gokart_ws, core_ws],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    theirs = json.loads(done.stdout.strip().splitlines()[-1])
    assert theirs["unique_id"] == task.make_unique_id()
    ours = compat_logs.relative_files(core_ws)
    assert ours == sorted(theirs["files"])
    seeds = [f for f in ours if f.startswith("log/random_seed/")]
    assert len(seeds) == 2  # the leaf's and the task's
    for name in seeds:  # the same seed, and the same seeding functions called
        mine, gokarts = (pd.read_pickle(os.path.join(ws, name)) for ws in (core_ws, gokart_ws))
        assert mine == gokarts
    for kind in KINDS:
        assert any(f.startswith(f"log/{kind}/LogCompat_") for f in ours)
    # gokart restored the task from gokart_core's logs ...
    assert theirs["restored_unique_id"] == task.make_unique_id()
    assert theirs["restored_params"] == task.to_str_params(only_significant=True)
    # ... and gokart_core restores it from gokart's (dill pickles)
    set_config("TaskOnKart", "workspace_directory", gokart_ws)
    luigi.task_register.Register.clear_instance_cache()
    restored = cls.restore(task.make_unique_id())
    assert restored.make_unique_id() == task.make_unique_id()
    assert restored.leaf.make_unique_id() == theirs["leaf_unique_id"]
    assert restored.to_str_params(only_significant=True) == task.to_str_params(
        only_significant=True
    )


def test_task_log_names_luigi_targets_too(ws: str, with_text: Plugins) -> None:
    class LogLuigiTarget(gokart.TaskOnKart[Any]):
        def output(self) -> Any:
            return luigi.LocalTarget(os.path.join(ws, "plain.txt"))

        def run(self) -> None:
            with self.output().open("w") as fp:
                fp.write("plain")

    task = LogLuigiTarget(workspace_directory=ws)
    gokart.build(task, return_value=False)
    assert read_pickle(log_path(ws, "task_log", task)) == {
        "file_path": [os.path.join(ws, "plain.txt")]
    }
