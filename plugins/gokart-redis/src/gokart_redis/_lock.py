"""A redis lock with a lease that a background thread renews while the lock is held.

The lock is the key holding a random token of its holder's, with a lease (PEXPIRE): redis-py's
``Lock`` scheme, which gokart uses, so gokart and gokart-core applications exclude each other.
The lease (``redis_timeout`` seconds) bounds how long a holder that died (SIGKILL, a lost
machine) blocks everybody else; renewal every third of the lease keeps a long ``run()`` from
losing its lock. One renewal thread per process serves every held lock.

Faults of redis itself:

- *A command that timed out may still run later* (redis paused, then resumed). An acquire
  carries a deadline in the server's clock and does nothing once it has passed, so a late
  acquire never leaves a key that nobody holds; and every retry of one acquisition sends the
  same token, so an acquire that ran although its reply was lost is recognised as ours.
- *Transient errors* (refused, reset, timeouts, loading, read-only during a failover) are
  retried with backoff for ``retry_seconds`` (:func:`gokart_redis._client.with_retries`).
- *redis restarted without its data.* A renewal (and the check before publishing) that finds
  the key gone sets it again, since the lease was still ours; one that finds another holder's
  token marks the lock lost. A lost lock publishes nothing: :meth:`RedisLock.check_held`, which
  gokart-core calls right before an output under the lock is renamed or committed, raises.
  Between the restart and the next renewal (a third of the lease) another process can take the
  key and run the same task: a shorter ``redis_timeout`` narrows that window; redis'
  persistence (``appendonly yes``, ``appendfsync always``) closes it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from types import TracebackType

from gokart_core.plugin_api import LockError, TaskLockException
from gokart_redis._client import (
    AuthenticationError,
    RedisError,
    forget_clock,
    run_script,
    server_ms,
    with_retries,
)
from gokart_redis._renewal import renewer as _renewer
from gokart_redis._settings import RedisSettings, scrub

logger = logging.getLogger(__name__)

# 1: taken (or ours already: a retry of an acquire that ran), 0: held by another, -2: the
# deadline (the time the client stops waiting for the reply) has passed: nothing done.
# replicate_commands: redis < 7 replicates a script verbatim unless told to replicate its
# effects, and refuses a write after TIME otherwise; a no-op since 7.
_ACQUIRE = (
    "if redis.replicate_commands then redis.replicate_commands() end "
    "local now = redis.call('time') "
    "if tonumber(ARGV[3]) < tonumber(now[1]) * 1000 + tonumber(now[2]) / 1000 then "
    "return -2 end "
    "if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end "
    "if redis.call('get', KEYS[1]) == ARGV[1] then "
    "redis.call('pexpire', KEYS[1], ARGV[2]) return 1 end "
    "return 0"
)
# 1: renewed (or set again: the key was gone, while the lease was still ours), 0: another
# holder's token is there.
_RENEW = (
    "local holder = redis.call('get', KEYS[1]) "
    "if holder == ARGV[1] then redis.call('pexpire', KEYS[1], ARGV[2]) return 1 end "
    "if holder then return 0 end "
    "redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1"
)
# 1 released, 0 gone already, -1 held by another holder (whose key is left alone).
_RELEASE = (
    "local holder = redis.call('get', KEYS[1]) "
    "if holder == ARGV[1] then redis.call('del', KEYS[1]) return 1 end "
    "if holder then return -1 end return 0"
)
_POLL_SECONDS = 0.05
#: An acquire is void once this share of the socket timeout has passed since it was sent.
_DEADLINE_SHARE = 0.9


class LockLostError(Exception):
    """The lease ran out, or another holder took the key."""


class RedisLock:
    """A context manager taking the lock ``key``; re-enterable one ``with`` at a time."""

    def __init__(self, settings: RedisSettings, key: str, timeout: float, fail_fast: bool) -> None:
        if timeout <= 0:
            raise ValueError(f"redis_timeout must be positive, not {timeout}")
        self.settings, self.key = settings, key
        self.timeout, self.fail_fast = timeout, fail_fast
        self._lease_ms = max(int(timeout * 1000), 1)
        self._token: str | None = None
        self._lost: BaseException | None = None
        # Serialises the renewal thread's renew with the release: a renew that reached redis
        # after the release would set the released key again (a renew sets a vanished key).
        self._io_lock = threading.Lock()
        self._io_pid = os.getpid()
        # When the lease was last set (taken before sending the command that set it): until
        # then + lease the key is ours, unless somebody deletes it by hand.
        self._leased_at = 0.0

    @property
    def _io(self) -> threading.Lock:
        # A forked child gets a copy of the object, with the lock as the parent's renewal
        # thread may have held it at that moment: a fresh one per process.
        if self._io_pid != os.getpid():
            self._io_lock, self._io_pid = threading.Lock(), os.getpid()
        return self._io_lock

    @property
    def server(self) -> str:
        return self.settings.describe()

    def __repr__(self) -> str:
        return f"RedisLock({self.key!r} on {self.server})"

    def _run(self, source: str, token: str, *extra: float) -> int:
        return int(run_script(self.settings, source, [self.key], [token, self._lease_ms, *extra]))

    def _acquire_once(self, token: str) -> int:
        deadline = server_ms(self.settings) + self.settings.socket_timeout * 1e3 * _DEADLINE_SHARE
        return self._run(_ACQUIRE, token, int(deadline))

    def _error(self, doing: str, exc: BaseException) -> LockError:
        cause = scrub(f"{type(exc).__name__}: {exc}", self.settings)
        if isinstance(exc, AuthenticationError) and not self.settings.password:
            cause += (
                " (no password was given: set [gokart_redis] password, GOKART_REDIS_PASSWORD "
                "or the URL's)"
            )
        return LockError(f"cannot {doing} the lock {self.key!r} on {self.server}: {cause}")

    def __enter__(self) -> RedisLock:
        # Unique per holder and acquisition, as redis-py's token is; 16 random bytes. Kept for
        # every retry of this acquisition: an acquire that ran unseen made the key ours.
        token = os.urandom(16).hex()
        try:
            while True:
                sent_at = time.monotonic()
                taken = with_retries(
                    self.settings, lambda: self._acquire_once(token), f"taking {self.key!r}"
                )
                if taken == 1:
                    break
                if taken == -2:
                    # It arrived after its deadline: redis was stalled, or our idea of its
                    # clock is off. Measure the clock again and ask again.
                    forget_clock(self.settings)
                    time.sleep(_POLL_SECONDS)
                    continue
                if self.fail_fast:
                    raise TaskLockException(
                        f"the lock {self.key!r} on {self.server} is held by another application "
                        "(redis_fail=True: failing now; luigi's retry_count/retry_delay run it "
                        "again)"
                    )
                time.sleep(_POLL_SECONDS)
        except RedisError as exc:
            self._abandon(token)
            raise self._error("take", exc) from None
        self._token, self._lost, self._leased_at = token, None, sent_at
        _renewer.hold(self)
        return self

    def _abandon(self, token: str) -> None:
        """After giving up on an acquisition: release what an acquire that ran unseen may
        have taken (once; the deadline makes a later one harmless)."""
        with contextlib.suppress(RedisError):
            self._run(_RELEASE, token)

    def renew(self) -> bool:
        """Reset the lease; called by the renewal thread. False: try again soon."""
        with self._io:
            token = self._token
            if token is None or self._lost is not None:
                return True
            sent_at = time.monotonic()
            try:
                renewed: int | RedisError = self._run(_RENEW, token)
            except RedisError as exc:
                renewed = exc
        return self._renewed(token, sent_at, renewed)

    def _renewed(self, token: str, sent_at: float, renewed: int | RedisError) -> bool:
        """What a renewal's reply (or error) means for the lock."""
        if isinstance(renewed, RedisError):
            exc = renewed
            if self._token != token:
                return True  # released meanwhile: nothing was lost
            if time.monotonic() - self._leased_at < self.timeout:
                # The key is still ours until the lease runs out: a glitch is not a loss.
                logger.warning(
                    "cannot renew %r on %s yet: %s",
                    self.key,
                    self.server,
                    self._error("renew", exc),
                )
                return False
            self._lost = LockLostError(f"the lease ran out while redis did not answer ({exc})")
        else:
            if renewed:
                self._leased_at = sent_at
                return True
            if self._token != token:
                return True
            self._lost = LockLostError("another holder took the key")
        logger.error("lost the lock %r on %s: %s", self.key, self.server, self._lost)
        return True

    def check_held(self) -> None:
        """Raise :class:`LockError` unless the lock is still held: asked by gokart-core right
        before an output written under this lock is published."""
        token = self._token
        if token is not None and self._lost is None:
            try:
                if with_retries(self.settings, lambda: self._run(_RENEW, token), "checking"):
                    return
                self._lost = LockLostError("another holder took the key")
            except RedisError as exc:
                self._lost = LockLostError(f"redis did not answer ({exc})")
        raise LockError(
            f"the lock {self.key!r} on {self.server} is no longer held "
            f"({scrub(str(self._lost or 'released'), self.settings)}): not publishing the output"
        )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _renewer.release(self)
        with self._io:  # after a renewal in flight, never before it
            token, self._token = self._token, None
        if token is not None:
            try:
                released = with_retries(
                    self.settings, lambda: self._run(_RELEASE, token), f"releasing {self.key!r}"
                )
                if released != 1 and self._lost is None:
                    self._lost = LockLostError("the key was gone or another's at the release")
            except RedisError as release_error:
                # The lease expires by itself; what was done under the lock is complete.
                logger.warning("%s", self._error("release", release_error))
        if self._lost is not None and exc_type is None:
            raise LockError(
                f"the lock {self.key!r} on {self.server} was lost while held "
                f"(lease {self.timeout:g}s): {scrub(str(self._lost), self.settings)}"
            )


__all__ = ["LockLostError", "RedisLock"]
