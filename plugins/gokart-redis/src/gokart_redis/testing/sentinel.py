"""A Sentinel set for failover tests: a master, a replica of it and one sentinel watching the
master (quorum 1, down after 1 s), each a redis-server of the test's own on a free port."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gokart_redis.testing.server import RedisServer, _free_port, _spawn, start_redis


@dataclass
class SentinelSet:
    master: RedisServer
    replica: RedisServer
    sentinel_port: int
    sentinel: subprocess.Popen[bytes]
    service: str

    @property
    def sentinels(self) -> str:
        """The ``sentinels`` option of ``[gokart_redis]``."""
        return f"127.0.0.1:{self.sentinel_port}"

    def master_address(self) -> tuple[str, int]:
        """What the sentinel says the master is now."""
        import redis

        conn = redis.Redis(host="127.0.0.1", port=self.sentinel_port, socket_timeout=5)
        found: Any = conn.sentinel_get_master_addr_by_name(self.service)
        host, port = found
        return host.decode() if isinstance(host, bytes) else str(host), int(port)

    def wait_for_failover(self, timeout: float = 30) -> tuple[str, int]:
        """After the master died: wait until the sentinel has promoted the replica, and the
        replica accepts writes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.master_address()[1] == self.replica.port:
                info = self.replica.client().info("replication")
                if info.get("role") == "master":
                    return self.master_address()
            time.sleep(0.1)
        raise AssertionError(f"no failover to the replica within {timeout}s")

    def stop(self) -> None:
        if self.sentinel.poll() is None:
            self.sentinel.terminate()
            self.sentinel.wait(timeout=10)
        self.replica.stop()
        self.master.stop()


def start_sentinel_set(directory: Path, service: str = "gokart") -> SentinelSet:
    """A master, its replica (in sync) and a sentinel watching the master."""
    master = start_redis(directory / "master")
    replica = start_redis(
        directory / "replica", extra_args=["--replicaof", "127.0.0.1", str(master.port)]
    )
    deadline = time.monotonic() + 15
    while replica.client().info("replication").get("master_link_status") != "up":
        if time.monotonic() > deadline:
            raise RuntimeError("the replica did not sync with the master")
        time.sleep(0.05)
    folder = directory / "sentinel"
    folder.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    conf = folder / "sentinel.conf"
    conf.write_text(
        f"port {port}\nbind 127.0.0.1\ndir {folder}\n"
        f"sentinel monitor {service} 127.0.0.1 {master.port} 1\n"
        f"sentinel down-after-milliseconds {service} 1000\n"
        f"sentinel failover-timeout {service} 5000\n"
        f"sentinel parallel-syncs {service} 1\n"
    )
    process = _spawn(master.binary, [str(conf), "--sentinel"], folder)
    found = SentinelSet(master, replica, port, process, service)
    deadline = time.monotonic() + 15
    while process.poll() is None and time.monotonic() < deadline:
        try:
            if found.master_address() == ("127.0.0.1", master.port):
                return found
        except Exception:
            pass
        time.sleep(0.05)
    found.stop()
    raise RuntimeError(f"the sentinel did not come up; see {folder}")
