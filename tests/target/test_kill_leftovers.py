"""Dumps SIGKILLed at random moments leave nothing behind once the graph is built again
(issue 18): 20 killed dumps of each kind (pickle, csv, parquet, model zip, large DataFrame), on
local disk and on S3 (moto); then one build. No temporary file, staging folder or open multipart
upload remains, ``gokart-core clean`` finds nothing, and every output is correct.

Each dump runs in a child forked from the test (no interpreter start per kill), which says on a
pipe when it starts and when it has finished; the kill comes at a random moment within the time
a whole dump of that kind took here. A kill that came after the dump finished is not counted,
so every kind really has 20 dumps killed in the middle.
"""

from __future__ import annotations

import os
import pickle
import random
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import luigi
import luigi.task_register
import numpy as np
import pandas as pd
import pytest

import gokart_core as gokart
from gokart_core.plugin.manager import use_plugin_manager
from gokart_core.runner import clean
from gokart_core.testing import builtins_only_plugin_manager

from ..server_fixtures import Workspace, clear_filesystem_caches

KILLS = 20
KINDS = ("pickle", "csv", "parquet", "model", "large")
#: Above the 5 MiB part size, so that every S3 dump is a multipart upload.
ROWS = 400_000


def _frame(i: int) -> pd.DataFrame:
    rng = np.random.default_rng(i)
    return pd.DataFrame({"i": np.arange(ROWS) + i, "x": rng.random(ROWS)})


def _payload(kind: str, i: int) -> Any:
    if kind in ("pickle", "model"):
        return {"i": i, "data": np.random.default_rng(i).bytes(6 << 20)}
    return _frame(i)


def _save(obj: Any, path: str) -> None:
    with open(path, "wb") as fp:
        pickle.dump(obj, fp)


def _load(path: str) -> Any:
    with open(path, "rb") as fp:
        return pickle.load(fp)


class Dumped(gokart.TaskOnKart[Any]):
    kind = luigi.Parameter()
    i = luigi.IntParameter()

    def output(self) -> Any:
        if self.kind == "model":
            return self.make_model_target("kill/model.zip", _save, _load)
        if self.kind == "large":
            return self.make_large_data_frame_target("kill/large.zip", max_byte=1 << 20)
        extension = {"pickle": "pkl", "csv": "csv", "parquet": "parquet"}[self.kind]
        return self.make_target(f"kill/{self.kind}.{extension}")

    def run(self) -> None:
        self.dump(_payload(self.kind, self.i))


class Everything(gokart.TaskOnKart[Any]):
    counts = luigi.DictParameter()  # kind -> how many dumps were started

    def requires(self) -> Any:
        return [Dumped(kind=k, i=i) for k, n in self.counts.items() for i in range(n)]

    def output(self) -> Any:
        return self.make_target("kill/everything.pkl")

    def run(self) -> None:
        self.dump(len(self.requires()))


def _dump_in_child(kind: str, i: int, kill_after: float | None) -> tuple[bool, float]:
    """Fork a child that dumps ``Dumped(kind, i)``; kill it ``kill_after`` seconds into the
    dump (None: let it finish). (killed in the middle, seconds the dump ran)."""
    started_r, started_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: dump, say so, and leave without running pytest's teardown
        code = 1
        try:
            os.close(started_r)
            task, payload = Dumped(kind=kind, i=i), _payload(kind, i)
            task.output()  # the target and its filesystem first: the kill is to hit the dump
            os.write(started_w, b"s")
            task.dump(payload)
            os.write(started_w, b"d")
            code = 0
        finally:
            os._exit(code)
    os.close(started_w)
    try:
        assert os.read(started_r, 1) == b"s", "the child failed before its dump"
        began = time.monotonic()
        if kill_after is not None:
            time.sleep(kill_after)
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        took = time.monotonic() - began
        finished = os.read(started_r, 1) == b"d"
    finally:
        os.close(started_r)
    if kill_after is None:
        assert finished and os.waitstatus_to_exitcode(status) == 0, f"a {kind} dump failed"
    return not finished, took


@pytest.fixture
def plugins() -> Iterator[None]:
    import gokart_pandas
    import gokart_pickle
    import gokart_s3
    import gokart_zip

    clear_filesystem_caches()
    manager = builtins_only_plugin_manager(gokart_s3, gokart_pickle, gokart_pandas, gokart_zip)
    with use_plugin_manager(manager):
        yield
    clear_filesystem_caches()


@pytest.mark.slow
@pytest.mark.parametrize("storage", ["local", "s3"])
def test_killed_dumps_leave_nothing_once_the_graph_is_built_again(
    make_workspace: Any,
    set_config: Any,
    cloud_credentials: None,
    plugins: None,
    tmp_path: Path,
    storage: str,
) -> None:
    workspace: Workspace = make_workspace(storage, "killed")
    staging = tmp_path / "staging"
    set_config("TaskOnKart", "local_temporary_directory", str(staging))
    if storage == "s3":
        set_config("gokart_s3", "storage_options", '{"default_block_size": 5242880}')
        # moto dates every upload 2010: any age would do; 0 says "every open upload is stale"
        set_config("gokart_s3", "abort_uploads_after", "0")
    # luigi caches task instances by their arguments, [TaskOnKart] values not included (as in
    # gokart): tasks of the other storage's run would come back with their workspace
    luigi.task_register.Register.clear_instance_cache()
    rng = random.Random(18)
    counts = {}
    for kind in KINDS:
        Dumped(kind=kind, i=0).run()  # here first: the children inherit what it imported
        whole = min(_dump_in_child(kind, 0, None)[1] for _ in range(3))  # one dump's time
        started, killed = 1, 0
        while killed < KILLS:
            assert started < 3 * KILLS, f"{kind}: kills keep missing the dump"
            hit, _ = _dump_in_child(kind, started, rng.uniform(0, whole * 0.9))
            killed += hit
            started += 1
        counts[kind] = started
    left_before = [n for n in workspace.names() if n.endswith(".tmp")]
    left_before += workspace.uploads() + [p.name for p in staging.glob("gokart-*")]
    assert left_before, f"no kill left anything: the test would prove nothing ({counts})"

    assert gokart.build(Everything(counts=counts)) == sum(counts.values())

    assert [n for n in workspace.names() if n.endswith(".tmp")] == []
    assert workspace.uploads() == []
    assert list(staging.glob("gokart-*")) == []
    assert clean.find(workspace.url, older_than=0, temporary_directories=[str(staging)]) == []
    for kind, n in counts.items():
        for i in range(n):
            loaded = Dumped(kind=kind, i=i).output().load()
            expected = _payload(kind, i)
            if isinstance(expected, pd.DataFrame):
                pd.testing.assert_frame_equal(loaded, expected)
            else:
                assert loaded == expected, (kind, i)
