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

from gokart_core.plugin_api import LockError, TaskLockException
from gokart_redis._client import RedisConnectionError, RedisReplyError, client

logger = logging.getLogger(__name__)

# The lock is the key holding a token of its holder's, with a lease (PEXPIRE). The same scheme
# as redis-py's ``Lock`` (which gokart uses), so gokart and gokart-core applications exclude
# each other. Each script is idempotent for its holder: a command resent after a lost reply
# leaves the key as the first one did, so the client may resend on a fresh connection (only the
# reply may differ: a resent release finds the key gone, 0).
_ACQUIRE = (
    "if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end "
    "if redis.call('get', KEYS[1]) == ARGV[1] then "
    "redis.call('pexpire', KEYS[1], ARGV[2]) return 1 end "
    "return 0"
)
_RENEW = (
    "if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end "
    "redis.call('pexpire', KEYS[1], ARGV[2]) return 1"
)
# 1 released, 0 gone already (the lease ran out, or this is a resend of a release that was
# done), -1 held by another holder (whose key is left alone).
_RELEASE = (
    "local holder = redis.call('get', KEYS[1]) "
    "if holder == ARGV[1] then redis.call('del', KEYS[1]) return 1 end "
    "if holder then return -1 end return 0"
)
_POLL_SECONDS = 0.05


class LockLostError(Exception):
    """The lease ran out, or another holder took the key."""


class RedisLock:
    """A context manager taking the lock ``key``; re-enterable one ``with`` at a time."""

    def __init__(self, host: str, port: int, key: str, timeout: float, fail_fast: bool) -> None:
        if timeout <= 0:
            raise ValueError(f"redis_timeout must be positive, not {timeout}")
        self.host, self.port, self.key = host, port, key
        self.timeout, self.fail_fast = timeout, fail_fast
        self._lease_ms = max(int(timeout * 1000), 1)
        self._token: str | None = None
        self._lost: BaseException | None = None
        # When the lease was last set (taken before sending the command that set it): until
        # then + lease the key is ours, unless somebody deletes it by hand.
        self._leased_at = 0.0

    @property
    def server(self) -> str:
        return f"redis {self.host}:{self.port}"

    def _run(self, script: str, token: str) -> int | bytes | None:
        return client(self.host, self.port).execute(
            "EVAL", script, 1, self.key, token, self._lease_ms
        )

    def __enter__(self) -> RedisLock:
        # Unique per holder and acquisition, as redis-py's token is; 16 random bytes.
        token = os.urandom(16).hex()
        try:
            while True:
                sent_at = time.monotonic()
                if self._run(_ACQUIRE, token):
                    break
                if self.fail_fast:
                    raise TaskLockException(
                        f"the lock {self.key!r} on {self.server} is held by another application "
                        "(redis_fail=True: failing now; luigi's retry_count/retry_delay run it "
                        "again)"
                    )
                time.sleep(_POLL_SECONDS)
        except (RedisConnectionError, RedisReplyError) as exc:
            raise LockError(f"cannot take the lock {self.key!r} on {self.server}: {exc}") from exc
        self._token, self._lost, self._leased_at = token, None, sent_at
        _renewer.hold(self)
        return self

    def renew(self) -> bool:
        """Reset the lease; called by the renewal thread. False: try again soon."""
        token = self._token
        if token is None or self._lost is not None:
            return True
        sent_at = time.monotonic()
        try:
            renewed = self._run(_RENEW, token)
        except (RedisConnectionError, RedisReplyError) as exc:
            if self._token != token:
                return True  # released meanwhile: nothing was lost
            if time.monotonic() - self._leased_at < self.timeout:
                # The key is still ours until the lease runs out: a glitch is not a loss.
                logger.warning("cannot renew %r on %s yet: %s", self.key, self.server, exc)
                return False
            self._lost = exc
        else:
            if renewed:
                self._leased_at = sent_at
                return True
            if self._token != token:
                return True
            self._lost = LockLostError("the lease ran out or another holder took the key")
        logger.error("lost the lock %r on %s: %s", self.key, self.server, self._lost)
        return True

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _renewer.release(self)
        token, self._token = self._token, None
        try:
            if token is None:
                pass
            elif self._lost is None and time.monotonic() - self._leased_at < self.timeout / 2:
                # The lease cannot have run out yet: release without waiting for the reply (a
                # round trip per task saved); it is read with the next command's.
                client(self.host, self.port).send(
                    "EVAL", _RELEASE, 1, self.key, token, self._lease_ms, on_reply=self._released
                )
            elif self._run(_RELEASE, token) != 1:
                self._lost = self._lost or LockLostError(
                    "the lease ran out or another holder took the key before the release"
                )
        except (RedisConnectionError, RedisReplyError) as release_error:
            # The lease expires by itself; what was done under the lock is complete.
            logger.warning("cannot release %r on %s: %s", self.key, self.server, release_error)
        if self._lost is not None and exc_type is None:
            raise LockError(
                f"the lock {self.key!r} on {self.server} was lost while held "
                f"(lease {self.timeout:g}s): {self._lost}"
            )

    def _released(self, reply: int | bytes | Exception | None) -> None:
        """The late reply of a release sent without waiting."""
        if isinstance(reply, Exception):
            logger.warning("cannot release %r on %s: %s", self.key, self.server, reply)
        elif reply == -1:
            # Within its lease: the key was deleted by hand (or lost by the server) and taken.
            logger.error(
                "the lock %r on %s was held by another at its release", self.key, self.server
            )
        elif reply == 0:  # deleted by hand, or a resent release that had been done
            logger.warning("the lock %r on %s was gone at its release", self.key, self.server)


class _Renewer:
    """One daemon thread per process that renews every held lock a third of its lease."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._due: dict[RedisLock, float] = {}
        self._pid = -1
        # When the thread wakes up next. A lock due later needs no wake-up call: waking the
        # thread for every lock taken costs a GIL hand-over each time, which was most of a
        # locked task's overhead.
        self._wake_at = 0.0
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
            self._wake_at = 0.0
            threading.Thread(target=self._loop, name="gokart-redis-renewer", daemon=True).start()

    def hold(self, lock: RedisLock) -> None:
        with self._cond:
            self._ensure_thread()
            due = self._due[lock] = time.monotonic() + lock.timeout / 3
            if due < self._wake_at:
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
                if not due:
                    # Computed and slept on under one hold of the condition: a lock taken
                    # before the wait is in the minimum, one taken during it notifies when it
                    # is due sooner, and one taken while awake (_wake_at 0) is seen next round.
                    self._wake_at = min(self._due.values(), default=now + 60)
                    self._cond.wait(timeout=max(self._wake_at - now, 0.01))
                    self._wake_at = 0.0
                    continue
            for lock in due:
                try:
                    settled = lock.renew()
                except Exception as exc:  # the thread serves every lock: it must not die
                    logger.exception("renewing %r failed", lock.key)
                    lock._lost, settled = exc, True
                if not settled:
                    with self._cond:
                        if lock in self._due:
                            self._due[lock] = time.monotonic() + min(1.0, lock.timeout / 10)


_renewer = _Renewer()

__all__ = ["RedisLock"]
