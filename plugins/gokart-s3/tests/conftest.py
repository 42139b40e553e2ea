"""Real servers on 127.0.0.1, started by the tests on free ports: moto's S3 server (a
subprocess), a TCP proxy in front of it (to make S3 unreachable mid-build), redis-server and
luigid. Nothing here is skipped: a missing server binary is a broken environment."""

from __future__ import annotations

import contextlib
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import fsspec
import luigi.configuration
import pytest

import gokart_pandas
import gokart_pickle
import gokart_s3
from gokart_core.plugin.manager import use_plugin_manager
from gokart_core.testing import builtins_only_plugin_manager

BUCKET = "gokart-test"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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


_REQUEST_LINE = re.compile(r'"([A-Z]+) (\S+) HTTP/[\d.]+" (\d+)')
# werkzeug writes a request whose status is not 200 in terminal colours, into a file too.
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class MotoServer:
    """moto's S3 server in a subprocess; its request log is the file ``log``."""

    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass
        self.client().create_bucket(Bucket=BUCKET)

    def requests(self) -> list[tuple[str, str, int]]:
        """(method, path, status) of every request the server logged so far, but its own API."""
        found = []
        for line in self.log.read_text(errors="replace").splitlines():
            match = _REQUEST_LINE.search(_COLOUR.sub("", line))
            if match and not match.group(2).startswith("/moto-api"):
                found.append((match.group(1), match.group(2), int(match.group(3))))
        return found

    def object_keys(self, prefix: str = "") -> list[str]:
        pages = (
            self.client().get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
        )
        return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))

    def multipart_uploads(self) -> list[str]:
        return [
            u["Key"] for u in self.client().list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
        ]


def start_moto(tmp: Path) -> MotoServer:
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


class TcpProxy:
    """A TCP proxy on a free port of 127.0.0.1 to ``target_port``; ``down()`` closes the
    listening socket and every connection (clients see S3 as unreachable), ``up()`` listens on
    the same port again."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()
        self.up()

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            connections, self._connections = self._connections, []
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    upstream.close()
                    return
                self._connections += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while True:
                readable, _, _ = select.select([a, b], [], [], 1.0)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (b if sock is a else a).sendall(data)
        except (OSError, ValueError):
            return
        finally:
            for sock in (a, b):
                with contextlib.suppress(OSError):
                    sock.close()


@pytest.fixture
def tcp_proxy() -> Iterator[Any]:
    """``tcp_proxy(port)``: a :class:`TcpProxy` to ``port``, closed at the end of the test."""
    proxies: list[TcpProxy] = []

    def make(port: int) -> TcpProxy:
        proxies.append(TcpProxy(port))
        return proxies[-1]

    yield make
    for proxy in proxies:
        proxy.down()


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    server = start_moto(tmp_path_factory.mktemp("moto"))
    yield server
    stop(server.process)


@pytest.fixture(autouse=True)
def _aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials for moto; never a developer's real ones (~/.aws is ignored)."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)


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


@pytest.fixture
def s3(moto_server: MotoServer, luigi_config: LuigiConfig) -> Iterator[MotoServer]:
    """An empty bucket on moto; ``[gokart_s3] endpoint_url`` points at it; the S3 plugin with
    the pickle and pandas formats as the only plugins."""
    moto_server.reset()
    luigi_config.set("gokart_s3", endpoint_url=moto_server.endpoint_url)
    fsspec.AbstractFileSystem.clear_instance_cache()
    plugins = builtins_only_plugin_manager(gokart_s3, gokart_pickle, gokart_pandas)
    with use_plugin_manager(plugins):
        yield moto_server


@pytest.fixture(scope="session")
def redis_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    from gokart_redis.testing import start_redis

    server = start_redis(tmp_path_factory.mktemp("redis"))
    yield server.port
    server.stop()


@pytest.fixture
def luigid(tmp_path: Path) -> Iterator[int]:
    """luigid on a free port; a worker gone silent for 2 s is dropped and its running task
    retried after 1 s (luigi's defaults are 60 s and 15 min)."""
    config = tmp_path / "luigid.cfg"
    config.write_text(
        "[scheduler]\n"
        "worker_disconnect_delay=2\n"
        "retry_delay=1\n"
        "prune_on_get_work=true\n"
        f"state_path={tmp_path / 'luigid-state.pickle'}\n"
    )
    luigid_binary = shutil.which("luigid") or "luigid"
    for _ in range(5):
        port = free_port()
        process = subprocess.Popen(
            [luigid_binary, "--port", str(port), "--address", "127.0.0.1"],
            env={**os.environ, "LUIGI_CONFIG_PATH": str(config)},
            stdout=subprocess.DEVNULL,
            stderr=open(tmp_path / "luigid.log", "wb"),  # noqa: SIM115 - the child owns it
        )
        try:
            wait_for_http(f"http://127.0.0.1:{port}/api/task_list?data={{}}", process)
        except (OSError, AssertionError):
            stop(process)
            continue
        yield port
        stop(process)
        return
    raise RuntimeError("could not start luigid on a free port")
