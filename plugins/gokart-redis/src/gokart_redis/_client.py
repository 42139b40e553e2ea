"""redis-py for the lock: one client per settings and thread, its Lua scripts (EVALSHA, loaded
again after a restart), the server's clock, and the retries of transient errors with backoff.

Each thread (the build's, the renewal thread) has a client of its own on one connection
(``single_connection_client``): a lock's commands run one after the other, and a connection
pool's checkout and return for every command were a quarter of redis-py's cost per command.
Sentinel's clients keep their pool, which finds the new master after a failover.

redis-py's own retries are off: a command is retried here, for ``retry_seconds`` in all, so that
one setting says how long a build rides out a restart or a failover. luigi's ``workers=N``
forks: a child drops the clients it inherited (their sockets are the parent's) and connects
anew on first use.
"""

from __future__ import annotations

import logging
import os
import random
import ssl
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from redis.backoff import NoBackoff
from redis.commands.core import Script
from redis.exceptions import (
    AuthenticationError,
    BusyLoadingError,
    NoPermissionError,
    ReadOnlyError,
    RedisError,
    ResponseError,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from gokart_redis._settings import RedisSettings, scrub

logger = logging.getLogger(__name__)
T = TypeVar("T")

#: Per thread: ``clients``, a dict of the thread's client per settings.
_local = threading.local()
#: Sentinel's clients, shared by the threads of a process (their pool serves each thread).
_shared: dict[RedisSettings, redis.Redis] = {}
_scripts: dict[tuple[RedisSettings, str], Script] = {}
#: The server's clock minus ours, in milliseconds, per settings (see :func:`server_ms`).
_offsets: dict[RedisSettings, float] = {}
_guard = threading.Lock()
#: Replies of a server that is starting, failing over or busy: worth asking again.
_TRANSIENT_REPLIES = ("LOADING", "READONLY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN")


def client(settings: RedisSettings) -> redis.Redis:
    """The client of ``settings`` in this thread (made, and connected, on first use)."""
    try:
        mine: dict[RedisSettings, redis.Redis] = _local.clients
    except AttributeError:
        mine = _local.clients = {}
    found = mine.get(settings)
    if found is None:
        if settings.sentinels:
            with _guard:
                found = _shared.get(settings)
                if found is None:
                    found = _shared[settings] = _make(settings)
        else:
            found = _make(settings)
        mine[settings] = found
    return found


def _after_fork_in_child() -> None:
    # The inherited clients' connections are the parent's sockets; dropping them closes only
    # this process's copies of the descriptors (redis-py shuts a socket down only in the
    # process that opened it). A script holds the client it was registered with: made again.
    # The clock offsets stay: the same servers, the same clocks.
    global _local, _guard
    _local, _guard = threading.local(), threading.Lock()
    _shared.clear()
    _scripts.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _make(s: RedisSettings) -> redis.Redis:
    common: dict[str, Any] = {
        "db": s.db,
        "username": s.username,
        "password": s.password,
        "socket_timeout": s.socket_timeout,
        "socket_connect_timeout": s.socket_timeout,
        "retry": Retry(NoBackoff(), 0),  # retried by with_retries, for retry_seconds
    }
    if s.ssl:
        common.update(
            ssl=True,
            ssl_ca_certs=s.ssl_ca_certs,
            ssl_certfile=s.ssl_certfile,
            ssl_keyfile=s.ssl_keyfile,
        )
    if s.sentinels:
        from redis.sentinel import Sentinel

        sentinel_kwargs = {
            "socket_timeout": s.socket_timeout,
            "socket_connect_timeout": s.socket_timeout,
            "password": s.sentinel_password,
        }
        sentinel = Sentinel(  # type: ignore[no-untyped-call, unused-ignore]
            list(s.sentinels), sentinel_kwargs=sentinel_kwargs, **common
        )
        assert s.sentinel_service is not None  # checked when the settings were resolved
        master: redis.Redis = sentinel.master_for(s.sentinel_service)  # type: ignore[no-untyped-call, unused-ignore]
        return master
    if s.unix_socket_path:
        common.pop("socket_connect_timeout")
        for key in ("ssl", "ssl_ca_certs", "ssl_certfile", "ssl_keyfile"):
            common.pop(key, None)
        return redis.Redis(
            unix_socket_path=s.unix_socket_path, single_connection_client=True, **common
        )
    return redis.Redis(
        host=s.host or "localhost", port=s.port or 6379, single_connection_client=True, **common
    )


def script(settings: RedisSettings, source: str) -> Script:
    """``source`` as a script of ``settings``' client: run by EVALSHA, loaded when missing.
    Called as it is, it runs on the client of the thread that made it first: pass
    ``client=client(settings)`` (or use :func:`run_script`) from any other thread."""
    key = (settings, source)
    found = _scripts.get(key)
    if found is None:
        found = _scripts[key] = client(settings).register_script(source)
    return found


def run_script(settings: RedisSettings, source: str, keys: list[str], args: list[Any]) -> Any:
    """Run ``source`` on this thread's client of ``settings``."""
    return script(settings, source)(keys=keys, args=args, client=client(settings))


def server_ms(settings: RedisSettings) -> float:
    """The server's clock now, in milliseconds, from ours and an offset measured once (one
    ``TIME`` round trip), so that a command can carry a deadline in the server's time."""
    offset = _offsets.get(settings)
    if offset is None:
        before = time.time()
        seconds, micros = client(settings).time()
        after = time.time()
        offset = _offsets[settings] = seconds * 1e3 + micros / 1e3 - (before + after) * 500
    return time.time() * 1e3 + offset


def forget_clock(settings: RedisSettings) -> None:
    """Measure the server's clock again on the next :func:`server_ms` (a new connection, a
    new master, or a deadline that the server found already passed)."""
    _offsets.pop(settings, None)


def is_transient(exc: BaseException) -> bool:
    """Whether asking again may succeed: a refused, reset or timed-out connection, or a server
    that is loading, read-only or between masters. Wrong credentials, missing permissions and
    a TLS handshake that fails are not."""
    if isinstance(exc, (AuthenticationError, NoPermissionError)):
        return False
    if isinstance(exc, (BusyLoadingError, ReadOnlyError, RedisTimeoutError)):
        return True
    if isinstance(exc, RedisConnectionError):
        return not _tls_failure(exc)
    return isinstance(exc, ResponseError) and str(exc).startswith(_TRANSIENT_REPLIES)


def _tls_failure(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(5):  # redis-py wraps the ssl error in its ConnectionError
        if seen is None:
            break
        if isinstance(seen, ssl.SSLError) and not isinstance(seen, ssl.SSLEOFError):
            return True
        seen = seen.__cause__ or seen.__context__
    text = str(exc)
    return "CERTIFICATE_VERIFY_FAILED" in text or "[SSL" in text


def with_retries(settings: RedisSettings, call: Callable[[], T], what: str) -> T:
    """``call()``, asked again after each transient error with exponential backoff (50 ms
    doubling to 1 s, jittered), until ``settings.retry_seconds`` have passed since the first."""
    deadline: float | None = None
    delay = 0.05
    while True:
        try:
            return call()
        except RedisError as exc:
            if not is_transient(exc):
                raise
            now = time.monotonic()
            if deadline is None:
                deadline = now + settings.retry_seconds
                logger.warning(
                    "%s on %s: %s: %s; trying again for up to %gs",
                    what,
                    settings.describe(),
                    type(exc).__name__,
                    scrub(str(exc), settings),
                    settings.retry_seconds,
                )
            if now >= deadline:
                raise
            # A new connection, or a new master after a failover: measure its clock again.
            forget_clock(settings)
            time.sleep(min(delay, deadline - now) * random.uniform(0.5, 1.0))
            delay = min(delay * 2, 1.0)


__all__ = [
    "AuthenticationError",
    "RedisError",
    "client",
    "forget_clock",
    "is_transient",
    "run_script",
    "script",
    "server_ms",
    "with_retries",
]
