"""A redis lock with a lease that a background thread renews while the lock is held.

The lease (``redis_timeout`` seconds) bounds how long a holder that died (SIGKILL, a lost
machine) blocks everybody else; renewal every third of the lease keeps a long ``run()`` from
losing its lock. One renewal thread per process serves every held lock.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from types import TracebackType

import redis
import redis.exceptions
from redis.lock import Lock

from gokart_core import LockError, TaskLockException

logger = logging.getLogger(__name__)

_clients: dict[tuple[str, int, int], redis.Redis] = {}


def _client(host: str, port: int) -> redis.Redis:
    # One client per server and process: a connection pool must not cross a fork.
    key = (host, port, os.getpid())
    client = _clients.get(key)
    if client is None:
        client = redis.Redis(host=host, port=port, socket_connect_timeout=5, socket_timeout=30)
        _clients[key] = client
    return client


class RedisLock:
    """A context manager taking the lock ``key``; re-enterable one ``with`` at a time."""

    def __init__(self, host: str, port: int, key: str, timeout: float, fail_fast: bool) -> None:
        if timeout <= 0:
            raise ValueError(f"redis_timeout must be positive, not {timeout}")
        self.host, self.port, self.key = host, port, key
        self.timeout, self.fail_fast = timeout, fail_fast
        self._lock: Lock | None = None
        self._lost: BaseException | None = None

    @property
    def server(self) -> str:
        return f"redis {self.host}:{self.port}"

    def __enter__(self) -> RedisLock:
        lock = _client(self.host, self.port).lock(
            self.key, timeout=self.timeout, sleep=0.05, thread_local=False
        )
        try:
            acquired = lock.acquire(blocking=not self.fail_fast)
        except redis.exceptions.RedisError as exc:
            raise LockError(f"cannot take the lock {self.key!r} on {self.server}: {exc}") from exc
        if not acquired:
            raise TaskLockException(
                f"the lock {self.key!r} on {self.server} is held by another application "
                "(redis_fail=True: failing now; luigi's retry_count/retry_delay run it again)"
            )
        self._lock, self._lost = lock, None
        _renewer.hold(self)
        return self

    def renew(self) -> None:
        """Reset the lease; called by the renewal thread."""
        lock = self._lock
        if lock is None or self._lost is not None:
            return
        try:
            lock.reacquire()
        except (redis.exceptions.LockError, redis.exceptions.RedisError) as exc:
            if self._lock is not lock:
                return  # released meanwhile: nothing was lost
            self._lost = exc
            logger.error("lost the lock %r on %s: %s", self.key, self.server, exc)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _renewer.release(self)
        lock, self._lock = self._lock, None
        try:
            if lock is not None:
                lock.release()
        except redis.exceptions.LockNotOwnedError as release_error:
            self._lost = self._lost or release_error
        except redis.exceptions.RedisError as release_error:
            # The lease expires by itself; what was done under the lock is complete.
            logger.warning("cannot release %r on %s: %s", self.key, self.server, release_error)
        if self._lost is not None and exc_type is None:
            raise LockError(
                f"the lock {self.key!r} on {self.server} was lost while held "
                f"(lease {self.timeout:g}s): {self._lost}"
            )


class _Renewer:
    """One daemon thread per process that renews every held lock a third of its lease."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._due: dict[RedisLock, float] = {}
        self._pid = -1
        # luigi forks its worker processes: a child must not inherit a condition that the
        # parent's renewal thread held at that moment.
        os.register_at_fork(after_in_child=self._after_fork)

    def _after_fork(self) -> None:
        self._cond = threading.Condition()

    def _ensure_thread(self) -> None:
        # Called with the condition held. A forked child inherits the dict but not the thread.
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._due = {}
            threading.Thread(target=self._loop, name="gokart-redis-renewer", daemon=True).start()

    def hold(self, lock: RedisLock) -> None:
        with self._cond:
            self._ensure_thread()
            self._due[lock] = time.monotonic() + lock.timeout / 3
            self._cond.notify()

    def release(self, lock: RedisLock) -> None:
        with self._cond:
            self._due.pop(lock, None)

    def _loop(self) -> None:
        pid = os.getpid()
        while True:
            with self._cond:
                if self._pid != pid:
                    return
                now = time.monotonic()
                due = [lock for lock, at in self._due.items() if at <= now]
                for lock in due:
                    self._due[lock] = now + lock.timeout / 3
                wait = min(self._due.values(), default=now + 60) - now
            for lock in due:
                lock.renew()
            if not due:
                with self._cond:
                    self._cond.wait(timeout=max(wait, 0.01))


_renewer = _Renewer()

__all__ = ["RedisLock"]
