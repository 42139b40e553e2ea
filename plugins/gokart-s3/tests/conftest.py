"""Real servers on 127.0.0.1, started by the tests on free ports: moto's S3 server (a
subprocess), a TCP proxy in front of it (to make S3 unreachable mid-build), redis-server and
luigid (the servers from :mod:`gokart_core.testing.servers` and ``gokart_redis.testing``). A
missing server is a failure in CI (``CI=true``) and a skip elsewhere."""

from __future__ import annotations

import contextlib
import os
import select
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fsspec
import luigi.configuration
import pytest

import gokart_pandas
import gokart_pickle
import gokart_s3
from gokart_core.plugin.manager import use_plugin_manager
from gokart_core.testing import builtins_only_plugin_manager
from gokart_core.testing.luigid import start_luigid
from gokart_core.testing.servers import (
    AWS_TEST_CREDENTIALS,
    S3_BUCKET,
    MotoServer,
    free_port,
    start_moto,
    stop,
)

BUCKET = S3_BUCKET
CREDENTIALS = AWS_TEST_CREDENTIALS


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
    server = start_luigid(tmp_path)
    yield server.port
    server.stop()
