"""Session-wide servers for core's integration tests, each started the first time a test asks
for it (real servers on free ports of 127.0.0.1: moto's S3 server, fake-gcs-server,
redis-server and luigid), and what a test needs to reach them: credentials that are never a
developer's own, and the storage and lock plugins."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import fsspec
import pytest

from gokart_core.plugin.manager import Plugins, use_plugin_manager
from gokart_core.testing import builtins_only_plugin_manager
from gokart_core.testing.gcs_server import GCS_PROJECT, GcsServer, start_gcs_server
from gokart_core.testing.luigid import Luigid, start_luigid
from gokart_core.testing.servers import AWS_TEST_CREDENTIALS, MotoServer, start_moto, stop

if TYPE_CHECKING:
    from gokart_redis.testing import RedisServer


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """moto's S3 server with the empty bucket ``moto_server.bucket``."""
    server = start_moto(tmp_path_factory.mktemp("moto"))
    server.reset()
    yield server
    stop(server.process)


@pytest.fixture(scope="session")
def gcs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GcsServer]:
    server = start_gcs_server(tmp_path_factory.mktemp("gcs"))
    yield server
    stop(server.process)


_gcs_buckets = itertools.count()


@pytest.fixture(scope="session")
def gcs_bucket(gcs_server: GcsServer) -> str:
    """A bucket on fake-gcs-server for the session (tests keep to prefixes of their own)."""
    name = f"gokart-core-tests-{next(_gcs_buckets)}"
    gcs_server.create_bucket(name)
    return name


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A redis-server of the session's own (never a shared one on 6379)."""
    from gokart_redis.testing import start_redis

    server = start_redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def session_luigid(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Luigid]:
    """A luigid shared by the tests that do not restart it (each builds tasks of its own).
    A task that failed 3 times is disabled: a build whose task always fails ends (luigi's
    default is a billion retries, each ``retry_delay`` = 1 s later: a worker would wait on)."""
    server = start_luigid(tmp_path_factory.mktemp("luigid"), scheduler={"retry_count": 3})
    yield server
    server.stop()


@pytest.fixture
def cloud_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's credentials and anonymous GCS, never a developer's real ones (~/.aws and
    gcloud's application default credentials are ignored)."""
    for name, value in AWS_TEST_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "STORAGE_EMULATOR_HOST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", os.devnull)


def clear_filesystem_caches() -> None:
    """Forget every cached fsspec filesystem instance (each class keeps a cache of its own)."""
    import gcsfs.core
    import s3fs

    for cls in (fsspec.AbstractFileSystem, s3fs.S3FileSystem, gcsfs.core.GCSFileSystem):
        cls.clear_instance_cache()


@pytest.fixture
def storage_plugins(cloud_credentials: None) -> Iterator[Plugins]:
    """gokart-s3, gokart-gcs, gokart-pickle and gokart-redis as the only plugins, with empty
    filesystem caches before and after."""
    import gokart_gcs
    import gokart_pickle
    import gokart_redis
    import gokart_s3

    clear_filesystem_caches()
    plugins = builtins_only_plugin_manager(gokart_s3, gokart_gcs, gokart_pickle, gokart_redis)
    with use_plugin_manager(plugins) as p:
        yield p
    clear_filesystem_caches()


def _local_names(root: Path) -> list[str]:
    if not root.exists():
        return []
    names = (str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    return sorted(n for n in names if not n.startswith("log/"))


def _relative(names: list[str], prefix: str) -> list[str]:
    rel = (n[len(prefix) :] for n in names)
    return sorted(n for n in rel if not n.startswith("log/"))


@dataclass
class Workspace:
    """A test's own workspace: its URL, the luigi config that reaches it, and what its storage
    holds (asked of the server, not through gokart or fsspec)."""

    kind: str
    url: str
    #: The luigi config of this workspace: section -> option -> value.
    config: dict[str, dict[str, str]]
    #: The files, relative to the workspace, but the tasks' logs (``log/``).
    names: Callable[[], list[str]]
    #: Multipart uploads in progress (S3 only).
    uploads: Callable[[], list[str]] = lambda: []
    #: The key or path in the storage of an output path (``s3://b/p/x.pkl`` -> ``p/x.pkl``).
    key: Callable[[str], str] = lambda path: path


SetConfig = Callable[[str, str, str], None]


@pytest.fixture
def make_workspace(
    request: pytest.FixtureRequest, set_config: SetConfig, tmp_path: Path
) -> Callable[[str, str], Workspace]:
    """``make_workspace(kind, name)``: a new workspace of ``kind`` (local, s3 or gs) named
    ``name``, made the ``[TaskOnKart] workspace_directory`` of the test's luigi config, with
    the storage plugin's options pointing at the session's server."""

    def make(kind: str, name: str) -> Workspace:
        prefix = f"{name}/"
        if kind == "local":
            root = tmp_path / name
            workspace = Workspace(kind, str(root), {}, lambda: _local_names(root))
        elif kind == "s3":
            moto: MotoServer = request.getfixturevalue("moto_server")
            workspace = Workspace(
                kind,
                f"s3://{moto.bucket}/{name}",
                {"gokart_s3": {"endpoint_url": moto.endpoint_url}},
                lambda: _relative(moto.object_keys(prefix), prefix),
                lambda: moto.multipart_uploads(prefix),
                lambda path: path.removeprefix(f"s3://{moto.bucket}/"),
            )
        elif kind == "gs":
            gcs: GcsServer = request.getfixturevalue("gcs_server")
            bucket: str = request.getfixturevalue("gcs_bucket")
            options = {"endpoint_url": gcs.endpoint_url, "token": "anon", "project": GCS_PROJECT}
            workspace = Workspace(
                kind,
                f"gs://{bucket}/{name}",
                {"gokart_gcs": options},
                lambda: _relative(gcs.object_names(bucket, prefix), prefix),
                key=lambda path: path.removeprefix(f"gs://{bucket}/"),
            )
        else:
            raise ValueError(f"no workspace of kind {kind!r}")
        workspace.config["TaskOnKart"] = {"workspace_directory": workspace.url}
        for section, options in workspace.config.items():
            for option, value in options.items():
                set_config(section, option, value)
        return workspace

    return make
