"""Model targets and large DataFrames on S3 (moto's server in a thread, s3fs). An integration
test: it runs in `nox -s tests`, where the S3 stack is installed; the plugin session, which has
only this plugin's own dependencies, leaves it out."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import moto.server as moto_server
import pandas as pd
import pytest
import s3fs

import gokart_core as gokart


@pytest.fixture
def bucket(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        for key, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": endpoint,
            "FSSPEC_S3_ENDPOINT_URL": endpoint,
        }.items():
            monkeypatch.setenv(key, value)
        s3fs.S3FileSystem.clear_instance_cache()
        fs = s3fs.S3FileSystem(client_kwargs={"endpoint_url": endpoint})
        name = f"gokart-zip-{os.urandom(4).hex()}"
        fs.mkdir(name)
        s3fs.S3FileSystem.clear_instance_cache()
        yield name
    finally:
        s3fs.S3FileSystem.clear_instance_cache()
        server.stop()


def _save(obj: Any, path: str) -> None:
    Path(path).write_text(str(obj))
    Path(path + ".second").write_text("two")


def _load(path: str) -> Any:
    assert Path(path + ".second").read_text() == "two"
    return Path(path).read_text()


class S3Model(gokart.TaskOnKart):
    task_namespace = "gokart_zip_s3_tests"

    def output(self) -> Any:
        return self.make_model_target("m.zip", save_function=_save, load_function=_load)

    def run(self) -> None:
        self.dump("on s3")


class S3Frame(gokart.TaskOnKart):
    task_namespace = "gokart_zip_s3_tests"

    def output(self) -> Any:
        return self.make_large_data_frame_target("f.zip", max_byte=80)

    def run(self) -> None:
        self.dump(pd.DataFrame({"v": range(100)}, index=list(range(100))[::-1]))


def test_model_and_frame_on_s3(bucket: str, tmp_path: Path) -> None:
    ws = f"s3://{bucket}/ws"
    tmp = tmp_path / "tmp"
    model = S3Model(workspace_directory=ws, local_temporary_directory=str(tmp))
    assert gokart.build(model) == "on s3"
    assert model.output().fs.exists(model.output().fs_path)
    frame = S3Frame(workspace_directory=ws, local_temporary_directory=str(tmp))
    expected = pd.DataFrame({"v": range(100)}, index=list(range(100))[::-1])
    pd.testing.assert_frame_equal(gokart.build(frame), expected)
    assert list(tmp.iterdir()) == []
