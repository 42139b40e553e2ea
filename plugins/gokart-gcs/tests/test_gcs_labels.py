"""gokart's labels (``self.dump(obj, custom_labels=...)``) as GCS object metadata, on
fake-gcs-server, read back over the JSON API by plain HTTP (not gcsfs)."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any

import luigi
from luigi.parameter import ParameterVisibility

import gokart_core as gokart

LABELS: dict[str, Any] = {}


class GcsLabelSource(gokart.TaskOnKart[int]):
    day: str = luigi.Parameter(default="2024-01-01")

    def output(self) -> Any:
        return self.make_target("label_source.pkl")

    def run(self) -> None:
        self.dump(1)


class GcsLabelled(gokart.TaskOnKart[int]):
    day: str = luigi.Parameter(default="2024-01-01")
    model: str = luigi.Parameter(default="lgbm")
    # Not public: no label (gokart's only_public).
    secret: str = luigi.Parameter(default="hidden", visibility=ParameterVisibility.PRIVATE)

    def requires(self) -> Any:
        return GcsLabelSource(day=self.day)

    def output(self) -> Any:
        return self.make_target("labelled.pkl")

    def run(self) -> None:
        self.dump(self.load() + 1, custom_labels=LABELS)


def metadata_of(gcs: Any, url: str) -> dict[str, str]:
    """The object's metadata from the server's JSON API."""
    bucket, name = url.removeprefix("gs://").split("/", 1)
    quoted = urllib.parse.quote(name, safe="")
    with urllib.request.urlopen(f"{gcs.server.endpoint_url}/storage/v1/b/{bucket}/o/{quoted}") as r:
        found: dict[str, str] = json.load(r).get("metadata") or {}
    return found


def test_dump_sets_gokart_labels_as_object_metadata(gcs: Any, luigi_config: Any) -> None:
    luigi_config.set("TaskOnKart", workspace_directory=gcs.workspace)
    LABELS.clear()
    LABELS.update({"team": "ml", "runs": 3, "model": "custom wins", "empty": "", "名前": "値"})
    assert gokart.build(GcsLabelled()) == 2
    task = GcsLabelled()
    source = GcsLabelSource()
    assert metadata_of(gcs, task.output().path()) == {
        "team": "ml",
        "runs": "3",  # gokart's rule: str() of any value
        "model": "custom wins",  # a custom label wins over the parameter of the same name
        "名前": "値",
        "day": "2024-01-01",
        "__required_task_outputs": json.dumps(
            {"__gokart_task_name": "GcsLabelSource", "__gokart_output_path": source.output().path()}
        ),
    }
    # A dump without custom labels still has gokart's labels of its parameters; a task that
    # requires nothing, no __required_task_outputs.
    assert metadata_of(gcs, source.output().path()) == {"day": "2024-01-01"}
    # The supplementary logs get none (as gokart's).
    logs = [n for n in gcs.object_names("prefix/log/")]
    assert logs and all(metadata_of(gcs, f"gs://{gcs.bucket}/{n}") == {} for n in logs)


def test_labels_past_8_kib_are_dropped_from_the_end(gcs: Any, luigi_config: Any) -> None:
    luigi_config.set("TaskOnKart", workspace_directory=gcs.workspace)
    LABELS.clear()
    LABELS.update({"a": "x" * 4050, "b": "y" * 4050, "c": "z" * 100})
    assert gokart.build(GcsLabelled(day="2024-02-02")) == 2
    found = metadata_of(gcs, GcsLabelled(day="2024-02-02").output().path())
    # 8,102 bytes for a and b; c and the task's labels after them do not fit in 8,192.
    assert found == {"a": "x" * 4050, "b": "y" * 4050}
