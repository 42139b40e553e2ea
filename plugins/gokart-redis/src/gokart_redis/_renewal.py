"""The renewal thread: one daemon thread per process renews every lock it holds a third of the
lease on, sleeping until the next one is due."""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Protocol

logger = logging.getLogger(__name__)


class Renewable(Protocol):
    """What the thread needs of a lock (:class:`gokart_redis._lock.RedisLock`)."""

    key: str
    timeout: float
    _lost: BaseException | None

    def renew(self) -> bool:
        """Reset the lease; False: try again soon."""
        ...


class _Renewer:
    """One daemon thread per process that renews every held lock a third of its lease."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._due: dict[Renewable, float] = {}
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

    def hold(self, lock: Renewable) -> None:
        with self._cond:
            self._ensure_thread()
            due = self._due[lock] = time.monotonic() + lock.timeout / 3
            if due < self._wake_at:
                self._cond.notify()

    def release(self, lock: Renewable) -> None:
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


#: The process's one renewal thread (started on the first lock held, again in a forked child).
renewer = _Renewer()
