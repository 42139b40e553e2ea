"""Workspaces on ``s3://`` against moto's S3 server (a real HTTP server on 127.0.0.1)."""

from __future__ import annotations

import datetime as dt
import time
from typing import IO, Any

import luigi
import pandas as pd
import pytest

import gokart_core as gokart
import gokart_s3
from gokart_core import Format, FormatContext, FormatRegistry, hookimpl
from gokart_core.plugin.manager import get_plugins
from gokart_core.target import storage
from gokart_core.target.existence import existence_cache
from gokart_s3 import _uploads

BUCKET = "gokart-test"  # conftest's
WORKSPACE = f"s3://{BUCKET}/prefix"
PANDAS_EXTENSIONS = ("csv", "tsv", "json", "ndjson", "parquet", "feather")

RUNS: list[str] = []


def frame() -> pd.DataFrame:
    return pd.DataFrame({"id": [1, 2, 3], "name": ["a", "b", "c"], "score": [0.5, 1.5, 2.5]})


class S3Source(gokart.TaskOnKart[pd.DataFrame]):
    def output(self) -> Any:
        return self.make_target("source.pkl")

    def run(self) -> None:
        RUNS.append("S3Source")
        self.dump(frame())


class S3Format(gokart.TaskOnKart[pd.DataFrame]):
    extension: str = luigi.Parameter()

    def requires(self) -> Any:
        return S3Source()

    def output(self) -> Any:
        return self.make_target(f"formats/frame.{self.extension}")

    def run(self) -> None:
        RUNS.append(f"S3Format-{self.extension}")
        self.dump(self.load())


class S3Summary(gokart.TaskOnKart[dict[str, Any]]):
    def requires(self) -> Any:
        return {ext: S3Format(extension=ext) for ext in PANDAS_EXTENSIONS}

    def output(self) -> Any:
        return self.make_target("summary.pkl")

    def run(self) -> None:
        RUNS.append("S3Summary")
        self.dump({ext: frame.to_dict("list") for ext, frame in self.load().items()})


@pytest.fixture(autouse=True)
def _clear_runs() -> None:
    RUNS.clear()


def _workspace(config: Any, workspace: str = WORKSPACE) -> None:
    config.set("TaskOnKart", workspace_directory=workspace)


def test_pipeline_with_pickle_and_every_pandas_format(s3: Any, luigi_config: Any) -> None:
    _workspace(luigi_config)
    result = gokart.build(S3Summary())
    assert set(result) == set(PANDAS_EXTENSIONS)
    for ext, columns in result.items():
        assert columns == frame().to_dict("list"), ext
    keys = s3.object_keys("prefix/")
    uid = S3Format(extension="csv").make_unique_id()
    assert f"prefix/formats/frame_{uid}.csv" in keys
    assert f"prefix/log/task_params/S3Format_{uid}.pkl" in keys  # the logs are in the bucket too
    outputs = [k for k in keys if not k.startswith("prefix/log/")]
    assert len(outputs) == 1 + len(PANDAS_EXTENSIONS) + 1
    assert not [k for k in keys if ".tmp" in k]
    assert sorted(RUNS) == sorted(
        ["S3Source", "S3Summary", *(f"S3Format-{e}" for e in PANDAS_EXTENSIONS)]
    )
    # Every file is really in its format: pandas reads it straight from the bucket.
    parquet = S3Format(extension="parquet").output().path()
    options = {"endpoint_url": s3.endpoint_url}
    pd.testing.assert_frame_equal(pd.read_parquet(parquet, storage_options=options), frame())
    RUNS.clear()
    assert gokart.build(S3Summary()) == result
    assert RUNS == []


def test_config_section_and_per_task_storage_options(s3: Any, luigi_config: Any) -> None:
    # Nothing listens on port 9 of 127.0.0.1: only the task's own options can reach moto.
    luigi_config.set("gokart_s3", endpoint_url="http://127.0.0.1:9", retries=1)
    task = S3Source(
        workspace_directory=WORKSPACE, storage_options={"endpoint_url": s3.endpoint_url}
    )
    assert gokart.build(task).equals(frame())
    keys = s3.object_keys("prefix/")
    assert [k for k in keys if not k.startswith("prefix/log/")] == [
        task.output().path()[len(f"s3://{BUCKET}/") :]
    ]
    # the task's supplementary logs reach the bucket with its own options too
    assert f"prefix/log/task_params/S3Source_{task.make_unique_id()}.pkl" in keys
    fs = task.output().fs
    assert fs.storage_options["endpoint_url"] == s3.endpoint_url
    assert fs.retries == 1  # from [gokart_s3]
    # Nested options merge key by key; other protocols are not this plugin's.
    luigi_config.set("gokart_s3", region_name="eu-west-1", profile="p", anon="true")
    options = gokart_s3.storage_options_from_config()
    assert options["client_kwargs"] == {"region_name": "eu-west-1"}
    assert (options["profile"], options["anon"]) == ("p", True)
    merged = gokart_s3.merge_storage_options(options, {"client_kwargs": {"verify": False}})
    assert merged["client_kwargs"] == {"region_name": "eu-west-1", "verify": False}
    assert gokart_s3.gokart_get_filesystem("memory://x/y.pkl", {}) is None


def test_storage_options_from_the_command_line_and_shared_config(
    luigi_config: Any,
) -> None:
    with luigi.cmdline_parser.CmdlineParser.global_instance(
        ["S3Source", "--storage-options", '{"anon": true, "client_kwargs": {"a": 1}}']
    ) as parser:
        task = parser.get_task_obj()
    assert task.output()._storage_options == {"anon": True, "client_kwargs": {"a": 1}}
    luigi_config.set("TaskOnKart", storage_options='{"requester_pays": true}')
    # (a parameter value not used before: luigi caches task instances by their arguments)
    task = Many(i=-1)
    assert task.output()._storage_options == {"requester_pays": True}


class Exploding(Format):
    """Writes ``size`` bytes, then fails."""

    name = "test-exploding"

    def dump(self, obj: Any, fp: IO[bytes], context: FormatContext) -> None:
        size, fail = obj
        chunk = b"x" * (1 << 20)
        for _ in range(size // len(chunk)):
            fp.write(chunk)
        fp.write(b"x" * (size % len(chunk)))
        if fail:
            raise RuntimeError("boom in the middle of a dump")

    def load(self, fp: IO[bytes], context: FormatContext) -> Any:
        return len(fp.read())


#: Blocks of 5 MiB, S3's smallest part (s3fs's default is 50 MiB): 12 MiB is 3 parts.
SMALL_BLOCKS = {"default_block_size": 5 << 20}


class ExplodingPlugin:
    @hookimpl
    def gokart_register_formats(self, registry: FormatRegistry) -> None:
        registry.add("test-exploding", Exploding, extensions=(".boom",))


@pytest.mark.parametrize("size", [10, 12 << 20], ids=["one-shot", "multipart"])
def test_a_failing_dump_leaves_no_object_and_aborts_the_upload(s3: Any, size: int) -> None:
    get_plugins().pm.register(ExplodingPlugin())
    target = gokart.make_target(f"{WORKSPACE}/explode/out.boom", storage_options=SMALL_BLOCKS)
    with pytest.raises(gokart.DumpError, match="boom in the middle"):
        target.dump((size, True))
    assert s3.object_keys() == []
    assert s3.multipart_uploads() == []
    # A successful dump publishes; a failing one afterwards keeps it.
    target.dump((size, False))
    with pytest.raises(gokart.DumpError):
        target.dump((size + 1, True))
    assert s3.object_keys() == ["prefix/explode/out.boom"]
    assert target.load() == size
    assert s3.multipart_uploads() == []


def test_a_discarded_upload_stays_discarded_when_its_file_is_closed_later(s3: Any) -> None:
    """fsspec's finalizer closes an unclosed file: after a discard that must upload nothing."""
    target = gokart.make_target(f"{WORKSPACE}/discarded.pkl")
    opened: list[Any] = []
    with pytest.raises(RuntimeError), storage.atomic_write(target.fs, target.fs_path) as fp:
        opened.append(fp)
        fp.write(b"partial")
        raise RuntimeError("failed")
    opened[0].close()  # what the finalizer does
    assert s3.multipart_uploads() == []
    assert s3.object_keys() == []


@pytest.mark.parametrize("size", [0, 1000, 12 << 20], ids=["empty", "small", "multipart"])
def test_a_dump_sends_one_put_unless_it_is_large(s3: Any, size: int) -> None:
    get_plugins().pm.register(ExplodingPlugin())
    target = gokart.make_target(f"{WORKSPACE}/requests/out.boom", storage_options=SMALL_BLOCKS)
    target.fs  # noqa: B018 - resolve the filesystem first
    before = len(s3.requests())
    target.dump((size, False))
    methods = [method for method, _, _ in s3.requests()[before:]]
    if size < SMALL_BLOCKS["default_block_size"]:
        assert methods == ["PUT"]
    else:  # create, three parts, complete; then the key's stale uploads are listed
        assert methods == ["POST", "PUT", "PUT", "PUT", "POST", "GET"]
    assert target.load() == size
    assert s3.multipart_uploads() == []


@pytest.mark.parametrize(
    ("size", "after", "aborted"),
    [(12 << 20, 0.0, True), (1000, 0.0, False)],
    ids=["multipart", "one-put-does-not-look"],
)
def test_a_multipart_dump_aborts_the_stale_uploads_of_its_key(
    s3: Any, luigi_config: Any, size: int, after: float, aborted: bool
) -> None:
    """A writer killed mid-upload leaves its upload open (stored and billed): the next large
    dump of the same key aborts it once it is older than [gokart_s3] abort_uploads_after."""
    luigi_config.set("gokart_s3", endpoint_url=s3.endpoint_url, abort_uploads_after=str(after))
    get_plugins().pm.register(ExplodingPlugin())
    target = gokart.make_target(f"{WORKSPACE}/stale/out.boom", storage_options=SMALL_BLOCKS)
    client = s3.client()
    key = "prefix/stale/out.boom"
    client.create_multipart_upload(Bucket=BUCKET, Key=key)  # the dead writer's
    client.create_multipart_upload(Bucket=BUCKET, Key=key + ".other")  # another key's
    time.sleep(1.1)  # S3 gives the initiation time in whole seconds (moto a fixed one, 2010)
    target.dump((size, False))
    assert target.load() == size
    left = sorted(s3.multipart_uploads())
    assert left == ([key + ".other"] if aborted else [key, key + ".other"])


def test_clean_finds_and_aborts_the_open_uploads_under_the_workspace(s3: Any) -> None:
    from gokart_core.runner import clean

    client = s3.client()
    for key in ("prefix/a/x.pkl", "prefix/y.pkl", "prefixed/z.pkl"):
        client.create_multipart_upload(Bucket=BUCKET, Key=key)
    found = clean.find(WORKSPACE, older_than=60)
    assert sorted(f.where.split(" (")[0] for f in found) == [
        f"s3://{BUCKET}/prefix/a/x.pkl",
        f"s3://{BUCKET}/prefix/y.pkl",
    ]
    assert all("incomplete upload" in f.where for f in found)
    for leftover in found:
        leftover.remove()
    assert s3.multipart_uploads() == ["prefixed/z.pkl"]  # another prefix's: not ours


def test_only_uploads_older_than_the_setting_count_as_stale() -> None:
    # moto dates every upload 2010-11-10, so the age rule is checked on S3's reply shape here
    now = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.timezone.utc)
    uploads = [
        {"Key": "k", "UploadId": "old", "Initiated": now - dt.timedelta(hours=2)},
        {"Key": "k", "UploadId": "young", "Initiated": now - dt.timedelta(minutes=5)},
        {"Key": "k", "UploadId": "naive-old", "Initiated": dt.datetime(2026, 1, 1, 10, 0)},
    ]
    stale = _uploads.older_than_seconds(uploads, 3600, now)
    assert [u["UploadId"] for u in stale] == ["old", "naive-old"]


_PROXY: list[Any] = []


class BeforeOutage(gokart.TaskOnKart[str]):
    def output(self) -> Any:
        return self.make_target("outage/before.pkl")

    def run(self) -> None:
        RUNS.append("BeforeOutage")
        self.dump("before")


class CutsS3(gokart.TaskOnKart[str]):
    """S3 becomes unreachable in the middle of this task's run, before its dump."""

    def requires(self) -> Any:
        return BeforeOutage()

    def output(self) -> Any:
        return self.make_target("outage/cut.pkl")

    def run(self) -> None:
        RUNS.append("CutsS3")
        value = self.load()
        if _PROXY:
            _PROXY.pop().down()
        self.dump(value + " cut")


class AfterOutage(gokart.TaskOnKart[str]):
    def requires(self) -> Any:
        return CutsS3()

    def output(self) -> Any:
        return self.make_target("outage/after.pkl")

    def run(self) -> None:
        RUNS.append("AfterOutage")
        self.dump(self.load() + " after")


def test_s3_unreachable_mid_build_then_a_rerun_completes(
    s3: Any, luigi_config: Any, tcp_proxy: Any
) -> None:
    proxy = tcp_proxy(s3.port)
    try:
        _workspace(luigi_config)
        # Fail fast: one attempt per request (s3fs and botocore would retry for seconds).
        luigi_config.set(
            "gokart_s3",
            endpoint_url=f"http://127.0.0.1:{proxy.port}",
            retries=1,
            storage_options='{"config_kwargs": {"retries": {"max_attempts": 1}}}',
        )
        _PROXY.append(proxy)
        started = time.monotonic()
        with pytest.raises(gokart.GokartBuildError) as info:
            gokart.build(AfterOutage())
        assert time.monotonic() - started < 30
        (errors,) = info.value.raised_exceptions.values()
        message = str(errors[-1])
        assert isinstance(errors[-1], gokart.DumpError), message
        assert "outage/cut_" in message
        assert f"127.0.0.1:{proxy.port}" in message  # names the endpoint it could not reach
        assert RUNS == ["BeforeOutage", "CutsS3"]
        outputs = [k for k in s3.object_keys() if not k.startswith("prefix/log/")]
        assert [k.split("_")[0] for k in outputs] == ["prefix/outage/before"]
        assert s3.multipart_uploads() == []

        # Still down: the next build fails at once, saying where S3 was looked for.
        with pytest.raises(gokart.GokartBuildError, match=f"127.0.0.1:{proxy.port}"):
            gokart.build(AfterOutage())

        proxy.up()
        RUNS.clear()
        assert gokart.build(AfterOutage()) == "before cut after"
        assert RUNS == ["CutsS3", "AfterOutage"]
    finally:
        proxy.down()


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


def test_a_build_of_complete_tasks_sends_a_few_listings_not_a_head_per_task(
    s3: Any, luigi_config: Any
) -> None:
    n = 60
    _workspace(luigi_config)
    assert gokart.build(ManyRoot(n=n)) == sum(range(n))
    # Every task's complete() is asked: n leaves and the root, all complete.
    tasks = [*(Many(i=i) for i in range(n)), ManyRoot(n=n)]
    before = len(s3.requests())
    gokart.build(tasks, return_value=False)
    sent = s3.requests()[before:]
    # prefix/many/: one HEAD, then one listing answers for the other 59 files; prefix/: one
    # HEAD for the root's output. (gokart sends 3-4 HEADs per task.)
    assert sorted(method for method, _, _ in sent) == ["GET", "HEAD", "HEAD"], sent
    (listing,) = [path for method, path, _ in sent if method == "GET"]
    assert "list-type=2" in listing
    assert "prefix=prefix%2Fmany%2F" in listing or "prefix=prefix/many/" in listing


def test_a_missing_file_is_asked_again_after_the_listing(s3: Any) -> None:
    targets = [gokart.make_target(f"{WORKSPACE}/listed/f{i}.pkl") for i in range(3)]
    targets[0].dump(0)
    with existence_cache.scope():
        assert [t.exists() for t in targets] == [True, False, False]  # the folder is listed
        s3.client().put_object(Bucket=BUCKET, Key="prefix/listed/f1.pkl", Body=b"")
        assert targets[1].exists()  # written by someone else after the listing
        targets[0].remove()
        assert not targets[0].exists()  # removed by us: the listing forgets it
        targets[2].dump(2)
        before = len(s3.requests())
        assert targets[2].exists()  # written by us: known without a request
        assert len(s3.requests()) == before


def test_files_written_after_the_listing_are_found_by_listing_again(s3: Any) -> None:
    """A root in a task process asks for leaves that other processes wrote after its build
    listed their folder: a HEAD for the first, then one listing for the rest, not a HEAD each."""
    targets = [gokart.make_target(f"{WORKSPACE}/relisted/f{i}.pkl") for i in range(40)]
    targets[0].dump(0)
    with existence_cache.scope():
        assert [t.exists() for t in targets[:2]] == [True, False]  # listed: f0 alone
        for i in range(1, 40):
            s3.client().put_object(Bucket=BUCKET, Key=f"prefix/relisted/f{i}.pkl", Body=b"")
        before = len(s3.requests())
        assert all(t.exists() for t in targets[1:])
        sent = s3.requests()[before:]
    assert [method for method, _, _ in sent] == ["HEAD", "GET"], sent
    assert "list-type=2" in sent[1][1]


def test_a_missing_output_costs_one_head_not_a_head_and_a_listing(s3: Any) -> None:
    """gokart-s3's ``gokart_file_exists``: a target's existence is one HEAD. (s3fs's own
    ``exists`` lists ``key/`` after a HEAD that found nothing, in case a folder has that name:
    a second request for every output not written yet, in the scheduler and before each run.)"""
    target = gokart.make_target(f"{WORKSPACE}/headonly/out.pkl")
    before = len(s3.requests())
    assert not target.exists()
    assert [method for method, _, _ in s3.requests()[before:]] == ["HEAD"]
    # A folder of that name is no output: nothing a target wrote is there.
    s3.client().put_object(Bucket=BUCKET, Key="prefix/headonly/out.pkl/inner", Body=b"")
    assert not target.exists()
    assert target.fs.exists(target.fs_path)  # s3fs's answer for the same path
    target.dump(1)
    before = len(s3.requests())
    assert target.exists()
    assert [method for method, _, _ in s3.requests()[before:]] == ["HEAD"]


def test_existence_on_a_versioned_filesystem_is_s3fs_own(s3: Any) -> None:
    fs, path = gokart_s3.gokart_get_filesystem(
        url=f"{WORKSPACE}/versioned/out.pkl", storage_options={"version_aware": True}
    )
    assert gokart_s3.gokart_file_exists(fs=fs, path=path) is False
    fs.pipe_file(path, b"x")
    assert gokart_s3.gokart_file_exists(fs=fs, path=path) is True
