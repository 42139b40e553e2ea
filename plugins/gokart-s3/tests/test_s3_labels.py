"""gokart's labels (``self.dump(obj, custom_labels=...)``) as S3 user metadata (x-amz-meta-*),
on moto's server, read back with boto3 (not s3fs)."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import boto3
import luigi
import pytest

import gokart_core as gokart

BUCKET = "gokart-test"  # conftest's
LABELS: dict[str, Any] = {}


class S3LabelSource(gokart.TaskOnKart[bytes]):
    size: int = luigi.IntParameter(default=10)

    def output(self) -> Any:
        return self.make_target("label_source.pkl")

    def run(self) -> None:
        self.dump(b"x" * self.size)


class S3Labelled(gokart.TaskOnKart[int]):
    size: int = luigi.IntParameter(default=10)

    def requires(self) -> Any:
        return {"data": S3LabelSource(size=self.size)}

    def output(self) -> Any:
        return self.make_target("labelled.pkl")

    def run(self) -> None:
        self.dump(len(self.load("data")), custom_labels=LABELS)


def metadata_of(s3: Any, url: str) -> dict[str, str]:
    client = boto3.client("s3", endpoint_url=s3.endpoint_url, region_name="us-east-1")
    key = url.removeprefix(f"s3://{BUCKET}/")
    found: dict[str, str] = client.head_object(Bucket=BUCKET, Key=key)["Metadata"]
    return found


def test_dump_sets_gokart_labels_as_user_metadata(
    s3: Any, luigi_config: Any, caplog: pytest.LogCaptureFixture
) -> None:
    luigi_config.set("TaskOnKart", workspace_directory=f"s3://{BUCKET}/labels")
    LABELS.clear()
    LABELS.update({"Team": "ml", "runs": 3, "note": "naïve\nline", "bad key": "x"})
    with caplog.at_level(logging.WARNING, logger="gokart_s3"):
        assert gokart.build(S3Labelled()) == 10
    source = S3LabelSource().output().path()
    assert metadata_of(s3, S3Labelled().output().path()) == {
        "team": "ml",  # S3 keeps keys in lower case
        "runs": "3",  # gokart's rule: str() of any value
        "note": "=?UTF-8?B?" + base64.b64encode("naïve\nline".encode()).decode() + "?=",
        "size": "10",
        "__required_task_outputs": json.dumps(
            {"data": {"__gokart_task_name": "S3LabelSource", "__gokart_output_path": source}}
        ),
    }
    assert metadata_of(s3, source) == {"size": "10"}
    assert [r.getMessage() for r in caplog.records if r.name == "gokart_s3"] == [
        "label 'bad key' left out: S3 metadata keys must be HTTP header names"
    ]


def test_labels_of_a_multipart_upload_and_past_2_kib(s3: Any, luigi_config: Any) -> None:
    """A dump larger than a block goes up in parts: CreateMultipartUpload carries them."""
    luigi_config.set("TaskOnKart", workspace_directory=f"s3://{BUCKET}/big")
    luigi_config.set("gokart_s3", storage_options=json.dumps({"default_block_size": 5 << 20}))
    LABELS.clear()
    LABELS.update({"a": "x" * 1000, "b": "y" * 1000, "c": "z" * 100})
    assert gokart.build(S3Labelled(size=6 << 20)) == 6 << 20
    # 2,002 bytes for a and b; c and the task's labels after them do not fit in 2,048.
    assert metadata_of(s3, S3Labelled(size=6 << 20).output().path()) == {
        "a": "x" * 1000,
        "b": "y" * 1000,
    }
    assert metadata_of(s3, S3LabelSource(size=6 << 20).output().path()) == {"size": str(6 << 20)}


class PlainLuigiSource(luigi.Task):
    """A plain luigi task beside the workspace: its target's ``path`` is a string."""

    folder: str = luigi.Parameter()

    def output(self) -> luigi.LocalTarget:
        return luigi.LocalTarget(f"{self.folder}/plain.txt")

    def run(self) -> None:
        with self.output().open("w") as f:
            f.write("plain")


class OnPlainLuigi(gokart.TaskOnKart[str]):
    folder: str = luigi.Parameter()

    def requires(self) -> Any:
        return PlainLuigiSource(folder=self.folder)

    def output(self) -> Any:
        return self.make_target("on_plain.pkl")

    def run(self) -> None:
        with self.input().open() as f:
            self.dump(f.read())


def test_a_dump_that_requires_a_plain_luigi_task_is_labelled_with_its_path(
    s3: Any, luigi_config: Any, tmp_path: Any
) -> None:
    luigi_config.set("TaskOnKart", workspace_directory=f"s3://{BUCKET}/plain")
    assert gokart.build(OnPlainLuigi(folder=str(tmp_path))) == "plain"
    required = json.loads(
        metadata_of(s3, OnPlainLuigi(folder=str(tmp_path)).output().path())[
            "__required_task_outputs"
        ]
    )
    assert required == {
        "__gokart_task_name": "PlainLuigiSource",
        "__gokart_output_path": f"{tmp_path}/plain.txt",
    }
