"""Workspaces on ``gs://`` against fake-gcs-server (a real HTTP server on 127.0.0.1)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import IO, Any

import gcsfs.core
import luigi
import pandas as pd
import pytest

import gokart_core as gokart
import gokart_gcs
from gokart_core import Format, FormatContext, FormatRegistry, hookimpl
from gokart_core.plugin.manager import get_plugins
from gokart_core.target import storage
from gokart_core.target.existence import existence_cache

RUNS: list[str] = []


@pytest.fixture(autouse=True)
def _clear_runs() -> None:
    RUNS.clear()


def frame() -> pd.DataFrame:
    return pd.DataFrame({"id": [1, 2, 3], "name": ["a", "b", "c"], "score": [0.5, 1.5, 2.5]})


class GcsSource(gokart.TaskOnKart[pd.DataFrame]):
    def output(self) -> Any:
        return self.make_target("source.pkl")

    def run(self) -> None:
        RUNS.append("GcsSource")
        self.dump(frame())


class GcsFormat(gokart.TaskOnKart[pd.DataFrame]):
    extension: str = luigi.Parameter()

    def requires(self) -> Any:
        return GcsSource()

    def output(self) -> Any:
        return self.make_target(f"formats/frame.{self.extension}")

    def run(self) -> None:
        RUNS.append(f"GcsFormat-{self.extension}")
        self.dump(self.load())


class GcsSummary(gokart.TaskOnKart[dict[str, Any]]):
    def requires(self) -> Any:
        return {ext: GcsFormat(extension=ext) for ext in ("csv", "parquet")}

    def output(self) -> Any:
        return self.make_target("summary.pkl")

    def run(self) -> None:
        RUNS.append("GcsSummary")
        self.dump({ext: df.to_dict("list") for ext, df in self.load().items()})


def test_pipeline_with_pickle_and_pandas_formats(gcs: Any, luigi_config: Any) -> None:
    luigi_config.set("TaskOnKart", workspace_directory=gcs.workspace)
    result = gokart.build(GcsSummary())
    assert result == {"csv": frame().to_dict("list"), "parquet": frame().to_dict("list")}
    uid = GcsFormat(extension="parquet").make_unique_id()
    names = gcs.output_names()
    assert f"prefix/formats/frame_{uid}.parquet" in names
    assert len(names) == 4, names  # source, csv, parquet, summary: no temporary objects
    assert f"prefix/log/task_params/GcsFormat_{uid}.pkl" in gcs.object_names()
    assert sorted(RUNS) == ["GcsFormat-csv", "GcsFormat-parquet", "GcsSource", "GcsSummary"]
    # The object is really parquet: pandas reads the bytes as they are in the bucket.
    fs = GcsFormat(extension="parquet").output().fs
    with fs.open(f"{gcs.bucket}/prefix/formats/frame_{uid}.parquet", "rb") as fp:
        pd.testing.assert_frame_equal(pd.read_parquet(io.BytesIO(fp.read())), frame())
    RUNS.clear()
    assert gokart.build(GcsSummary()) == result
    assert RUNS == []


def _save_model(model: dict[str, str], path: str) -> None:
    """A model of two files, as gensim and others write them."""
    Path(path).write_text(model["weights"])
    Path(path + ".vocab").write_text(model["vocab"])


def _load_model(path: str) -> dict[str, str]:
    return {"weights": Path(path).read_text(), "vocab": Path(path + ".vocab").read_text()}


class GcsModel(gokart.TaskOnKart[dict[str, str]]):
    def output(self) -> Any:
        return self.make_model_target(
            "model.zip", save_function=_save_model, load_function=_load_model
        )

    def run(self) -> None:
        RUNS.append("GcsModel")
        self.dump({"weights": "0.1 0.2", "vocab": "a b"})


def test_model_target(gcs: Any, luigi_config: Any, tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    luigi_config.set(
        "TaskOnKart", workspace_directory=gcs.workspace, local_temporary_directory=str(tmp)
    )
    assert gokart.build(GcsModel()) == {"weights": "0.1 0.2", "vocab": "a b"}
    assert gcs.output_names() == [f"prefix/model_{GcsModel().make_unique_id()}.zip"]
    assert GcsModel().output().load() == {"weights": "0.1 0.2", "vocab": "a b"}
    assert list(tmp.iterdir()) == []  # the folders of the save and the loads are gone


class Exploding(Format):
    """Writes ``size`` bytes, then fails if told to."""

    name = "test-exploding"

    def dump(self, obj: Any, fp: IO[bytes], context: FormatContext) -> None:
        size, fail = obj
        fp.write(b"x" * size)
        if fail:
            raise RuntimeError("boom in the middle of a dump")

    def load(self, fp: IO[bytes], context: FormatContext) -> Any:
        return len(fp.read())


class ExplodingPlugin:
    @hookimpl
    def gokart_register_formats(self, registry: FormatRegistry) -> None:
        registry.add("test-exploding", Exploding, extensions=(".boom",))


#: gcsfs's smallest block, 256 KiB (its default is 5 MiB): 1 MiB is sent in four chunks.
SMALL_BLOCKS = {"block_size": 1 << 18}


@pytest.mark.parametrize("size", [10, 1 << 20], ids=["one-block", "resumable"])
def test_a_failing_dump_leaves_no_object(gcs: Any, size: int) -> None:
    get_plugins().pm.register(ExplodingPlugin())
    target = gokart.make_target(f"{gcs.workspace}/explode/out.boom", storage_options=SMALL_BLOCKS)
    with pytest.raises(gokart.DumpError, match="boom in the middle"):
        target.dump((size, True))
    assert gcs.object_names() == []
    cancels = [r for r in gcs.requests() if r[0] == "DELETE"]
    if size > SMALL_BLOCKS["block_size"]:
        # Chunks went out: the resumable upload was cancelled (GCS answers 499).
        assert [(path.split("?")[0], status) for _, path, status in cancels] == [
            (f"/upload/storage/v1/b/{gcs.bucket}/o", 499)
        ]
    else:
        assert cancels == []  # nothing was sent
    # A successful dump publishes; a failing one afterwards keeps it.
    target.dump((size, False))
    with pytest.raises(gokart.DumpError):
        target.dump((size + 1, True))
    assert gcs.object_names() == ["prefix/explode/out.boom"]
    assert target.load() == size


def test_a_discarded_upload_stays_discarded_when_its_file_is_closed_later(gcs: Any) -> None:
    """fsspec's finalizer closes an unclosed file: after a discard that must upload nothing."""
    target = gokart.make_target(f"{gcs.workspace}/discarded.pkl", storage_options=SMALL_BLOCKS)
    opened: list[Any] = []
    with pytest.raises(RuntimeError), storage.atomic_write(target.fs, target.fs_path) as fp:
        opened.append(fp)
        fp.write(b"x" * (1 << 19))  # two blocks: a resumable upload is under way
        raise RuntimeError("failed")
    opened[0].close()  # what the finalizer does
    assert gcs.object_names() == []


class Many(gokart.TaskOnKart[int]):
    i: int = luigi.IntParameter()

    def output(self) -> Any:
        return self.make_target(f"many/item_{self.i}.pkl")

    def run(self) -> None:
        self.dump(self.i)


class ManyRoot(gokart.TaskOnKart[int]):
    n: int = luigi.IntParameter()

    def requires(self) -> Any:
        return [Many(i=i) for i in range(self.n)]

    def output(self) -> Any:
        return self.make_target("many_root.pkl")

    def run(self) -> None:
        self.dump(sum(self.load()))


def test_a_build_of_complete_tasks_lists_folders_instead_of_asking_per_task(
    gcs: Any, luigi_config: Any
) -> None:
    n = 30
    luigi_config.set("TaskOnKart", workspace_directory=gcs.workspace)
    assert gokart.build(ManyRoot(n=n)) == sum(range(n))
    tasks = [*(Many(i=i) for i in range(n)), ManyRoot(n=n)]
    before = len(gcs.requests())
    gokart.build(tasks, return_value=False)
    sent = [path.replace("%2F", "/") for _, path, _ in gcs.requests()[before:]]
    # prefix/many/: the first file is asked for, then one listing answers for the other 29;
    # prefix/: the root's output is asked for. (gcsfs's exists() sends one to three requests:
    # the object and, in parallel, a listing in case it is a folder.) gokart: 3-4 per task.
    asked = {path.split("/o/")[1] for path in sent if "/o/" in path}
    root = f"prefix/many_root_{ManyRoot(n=n).make_unique_id()}.pkl"
    assert root in asked, sent
    assert len(asked - {root}) == 1, sent  # one file of prefix/many/
    folder_listings = [path for path in sent if "prefix=prefix/many/&" in path]
    assert len(folder_listings) == 1, sent
    assert len(sent) <= 7, sent


def test_a_missing_file_is_asked_again_after_the_listing(gcs: Any) -> None:
    targets = [gokart.make_target(f"{gcs.workspace}/listed/f{i}.pkl") for i in range(3)]
    targets[0].dump(0)
    with existence_cache.scope():
        assert [t.exists() for t in targets] == [True, False, False]  # the folder is listed
        writer = gcsfs.core.GCSFileSystem(
            endpoint_url=gcs.server.endpoint_url, token="anon", skip_instance_cache=True
        )
        writer.pipe_file(f"{gcs.bucket}/prefix/listed/f1.pkl", b"")  # another application
        assert targets[1].exists()
        targets[0].remove()
        assert not targets[0].exists()  # removed by us: the listing forgets it
        targets[2].dump(2)
        before = len(gcs.requests())
        assert targets[2].exists()  # written by us: known without a request
        assert len(gcs.requests()) == before


def test_config_section_and_per_task_storage_options(
    gcs: Any, luigi_config: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing listens on port 9 of 127.0.0.1: only the task's own options can reach the server.
    luigi_config.set("gokart_gcs", endpoint_url="http://127.0.0.1:9")
    task = GcsSource(
        workspace_directory=gcs.workspace,
        storage_options={"endpoint_url": gcs.server.endpoint_url},
    )
    assert gokart.build(task).equals(frame())
    assert gcs.output_names() == [task.output().path()[len(f"gs://{gcs.bucket}/") :]]
    fs = task.output().fs
    # With an endpoint of its own: the plain JSON-API filesystem (no gRPC bucket lookups).
    assert type(fs) is gcsfs.core.GCSFileSystem
    assert fs.storage_options["endpoint_url"] == gcs.server.endpoint_url
    assert fs.storage_options["token"] == "anon"  # from [gokart_gcs]
    assert fs.project == "gokart-test"

    # STORAGE_EMULATOR_HOST is gcsfs's (and google-cloud-storage's) own way to the server.
    luigi_config.restore()
    luigi_config.set("gokart_gcs", token="anon")
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs.server.endpoint_url)
    target = gokart.make_target(f"{gcs.workspace}/by_env.pkl")
    target.dump("via the environment")
    assert type(target.fs) is gcsfs.core.GCSFileSystem
    assert target.load() == "via the environment"

    # Nested options merge key by key; other protocols are not this plugin's.
    luigi_config.set("gokart_gcs", project="p", storage_options='{"session_kwargs": {"a": 1}}')
    options = gokart_gcs.storage_options_from_config()
    assert options == {"token": "anon", "project": "p", "session_kwargs": {"a": 1}}
    merged = gokart_gcs.merge_storage_options(options, {"session_kwargs": {"b": 2}})
    assert merged["session_kwargs"] == {"a": 1, "b": 2}
    # Google's own endpoint: whichever filesystem gcsfs registers for gs:// (made, not used).
    monkeypatch.delenv("STORAGE_EMULATOR_HOST")
    found = gokart_gcs.gokart_get_filesystem("gs://some-bucket/a/b.pkl", {})
    assert found is not None
    assert isinstance(found[0], gcsfs.core.GCSFileSystem)
    assert found[1] == "some-bucket/a/b.pkl"
    assert found[0].project == "p"
    assert gokart_gcs.gokart_get_filesystem("memory://x/y.pkl", {}) is None
    assert gokart_gcs.gokart_get_filesystem("s3://x/y.pkl", {}) is None
