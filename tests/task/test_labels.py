"""``dump(obj, custom_labels=...)``: gokart's labels, computed as gokart computes them (checked
against the PyPI gokart's own function), and ignored off object stores, as gokart ignores them
off GCS. (Set as object metadata: plugins/gokart-gcs and gokart-s3's tests, on their servers.)"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import luigi
import pytest
from gokart.gcs_obj_metadata_client import GCSObjectMetadataClient
from gokart.required_task_output import RequiredTaskOutput

import gokart_core as gokart
from gokart_core.plugin.manager import Plugins
from gokart_core.plugin_api import fit_metadata, hookimpl
from gokart_core.task.labels import LazyLabels, dump_labels


class LabelLeft(gokart.TaskOnKart[int]):
    def run(self) -> None:
        self.dump(1)


class LabelRight(gokart.TaskOnKart[Any]):
    def output(self) -> Any:
        return {"a": self.make_target("right_a.pkl"), "b": self.make_target("right_b.pkl")}

    def run(self) -> None:
        self.dump(2, "a", custom_labels={"side": "right"})
        self.dump(3, "b")


class LabelRoot(gokart.TaskOnKart[int]):
    day: str = luigi.Parameter(default="2024-03-01")
    rows: int = luigi.IntParameter(default=5)
    note: str = luigi.Parameter(default="", significant=False)

    def requires(self) -> Any:
        ws = self.workspace_directory
        return [LabelLeft(workspace_directory=ws), {"r": LabelRight(workspace_directory=ws)}]

    def run(self) -> None:
        self.dump(sum([self.load()[0], 2]), custom_labels={"owner": "data", "rows": 99, "x": ""})


def test_the_labels_are_gokart_s(tmp_path: Path) -> None:
    task = LabelRoot(workspace_directory=str(tmp_path))
    custom = {"owner": "data", "rows": 99, "x": "", 7: None}
    ws = str(tmp_path)
    left, right = LabelLeft(workspace_directory=ws), LabelRight(workspace_directory=ws)
    required = [
        RequiredTaskOutput("LabelLeft", left.output().path()),
        {
            "r": {
                key: RequiredTaskOutput("LabelRight", target.path())
                for key, target in right.output().items()
            }
        },
    ]
    gokarts = GCSObjectMetadataClient._get_patched_obj_metadata(
        {},
        task_params=task.to_str_params(only_significant=True, only_public=True),
        custom_labels=custom,
        required_task_outputs=required,
    )
    ours = dump_labels(task, custom)
    assert ours == gokarts
    assert list(ours) == list(gokarts)  # the same order: the size limit drops from the end
    assert ours["rows"] == "99" and ours["7"] == "None" and "x" not in ours and "note" not in ours


def test_fit_metadata_is_gokart_s_size_rule() -> None:
    labels = {"a": "x" * 5000, "b": "y" * 3000, "c": "z" * 500, "d": "w"}
    assert fit_metadata(
        labels, 8 * 1024
    ) == GCSObjectMetadataClient._adjust_gcs_metadata_limit_size(labels)
    assert list(fit_metadata(labels, 8 * 1024)) == ["a", "b"]


class Seen:
    def __init__(self) -> None:
        self.metadata: list[dict[str, str]] = []

    @hookimpl(tryfirst=True)
    def gokart_atomic_writer(self, fs: Any, path: str, metadata: Any) -> None:
        self.metadata.append(dict(metadata))
        return None  # the builtin writes


def test_a_local_workspace_ignores_labels(tmp_path: Path, plugins: Plugins) -> None:
    seen = Seen()
    plugins.pm.register(seen)
    try:
        assert gokart.build(LabelRoot(workspace_directory=str(tmp_path))) == 3
    finally:
        plugins.pm.unregister(seen)
    assert seen.metadata and all(m == {} for m in seen.metadata)  # none computed, none sent
    assert LabelRight(workspace_directory=str(tmp_path)).output()["a"].load() == 2


class PlainLuigiDependency(luigi.Task):
    """A luigi task: its target's ``path`` is a string, not a method."""

    folder = luigi.Parameter()

    def output(self) -> luigi.LocalTarget:
        return luigi.LocalTarget(f"{self.folder}/plain.txt")


class OnPlainLuigi(gokart.TaskOnKart[int]):
    def requires(self) -> Any:
        return {"plain": PlainLuigiDependency(folder=self.workspace_directory)}


def test_a_required_luigi_target_is_labelled_by_its_string_path(tmp_path: Path) -> None:
    task = OnPlainLuigi(workspace_directory=str(tmp_path))
    labels = dump_labels(task, None)
    assert json.loads(labels["__required_task_outputs"]) == {
        "plain": {
            "__gokart_task_name": "PlainLuigiDependency",
            "__gokart_output_path": f"{tmp_path}/plain.txt",
        }
    }


class RequiresCounted(gokart.TaskOnKart[int]):
    calls = 0
    broken = luigi.BoolParameter(default=False)

    def requires(self) -> Any:
        type(self).calls += 1
        if self.broken and type(self).calls > 1:  # luigi's own call passes; the labels' raises
            raise RuntimeError("the catalogue is unreachable")
        return []


def test_labels_are_computed_only_when_a_store_reads_them(tmp_path: Path) -> None:
    task = RequiresCounted(workspace_directory=str(tmp_path))
    RequiresCounted.calls = 0
    lazy = LazyLabels(task, {"owner": "data"})
    assert RequiresCounted.calls == 0  # made, not read: a store that keeps no metadata
    assert dict(lazy) == {"owner": "data", "broken": "False"}
    assert RequiresCounted.calls == 1
    assert lazy["owner"] == "data" and len(lazy) == 2
    assert RequiresCounted.calls == 1  # once


def test_labels_that_cannot_be_computed_are_a_warning_not_a_failed_dump(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    RequiresCounted.calls = 1
    task = RequiresCounted(workspace_directory=str(tmp_path), broken=True)
    with caplog.at_level(logging.WARNING, logger="gokart_core.task.labels"):
        assert dict(LazyLabels(task, {"owner": "data"})) == {}
    (record,) = caplog.records
    assert "RequiresCounted" in record.getMessage()
    assert "RuntimeError: the catalogue is unreachable" in record.getMessage()
