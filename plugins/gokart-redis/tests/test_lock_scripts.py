"""gokart-redis's lock on redis-py, against a real redis-server and, where two holders meet,
against redis-py's own ``Lock`` (the one gokart uses)."""

from __future__ import annotations

import os
import time
from typing import Any

import pytest

import gokart_core as gokart
from gokart_redis._client import client, script, server_ms
from gokart_redis._lock import _ACQUIRE, RedisLock
from gokart_redis._settings import RedisSettings


def _settings(server: Any, **options: Any) -> RedisSettings:
    return RedisSettings(host=server.host, port=server.port, **options)


def _lock(server: Any, key: str, lease: float, fail_fast: bool = False) -> RedisLock:
    return RedisLock(_settings(server), key, lease, fail_fast)


def test_the_same_token_acquires_again_and_a_late_acquire_does_nothing(redis_server: Any) -> None:
    """A retry sends the same token: an acquire that ran unseen made the key ours. One that
    arrives after its deadline (the client stopped waiting) leaves no key behind."""
    settings = _settings(redis_server)
    acquire = script(settings, _ACQUIRE)
    later = int(server_ms(settings)) + 5000
    assert acquire(keys=["lock"], args=["token-a", 5000, later]) == 1
    assert acquire(keys=["lock"], args=["token-a", 5000, later]) == 1
    assert acquire(keys=["lock"], args=["token-b", 5000, later]) == 0
    assert 0 < redis_server.client().pttl("lock") <= 5000
    # a second ago: server_ms() estimates the server's clock from one TIME round trip, off by
    # up to that round trip (more on a loaded machine), so 1 ms ago may be the server's future
    past = int(server_ms(settings)) - 1000
    assert acquire(keys=["gone"], args=["token-a", 5000, past]) == -2
    assert redis_server.client().exists("gone") == 0


def test_excludes_redis_py_locks_and_is_excluded_by_them(redis_server: Any) -> None:
    theirs = redis_server.client().lock("shared", timeout=5)
    with _lock(redis_server, "shared", 5, fail_fast=True):
        assert not theirs.acquire(blocking=False)
    assert theirs.acquire(blocking=False)
    try:
        with (
            pytest.raises(gokart.TaskLockException, match="shared"),
            _lock(redis_server, "shared", 5, fail_fast=True),
        ):
            pass
    finally:
        theirs.release()


def test_a_lock_taken_by_another_while_held_is_reported_and_theirs_kept(
    redis_server: Any,
) -> None:
    other = redis_server.client()
    with (
        pytest.raises(gokart.LockError, match="was lost while held"),
        _lock(redis_server, "k", 1) as lock,
    ):
        other.set("k", "someone else")  # as if the lease had run out and another came
        time.sleep(0.7)  # the renewal, a third of the lease on, finds out
        assert lock._lost is not None  # while held, not only at the release
        with pytest.raises(gokart.LockError, match="not publishing"):
            lock.check_held()
    assert other.get("k") == b"someone else"  # the release did not take their lock


def test_a_key_that_vanished_while_held_is_set_again(redis_server: Any) -> None:
    """redis restarted without its data (or the key deleted by hand): the lease was still
    ours, nobody else holds the key, so the renewal and the check before publishing set it
    again instead of giving the lock up."""
    with _lock(redis_server, "k", 1) as lock:
        redis_server.client().delete("k")
        lock.check_held()
        assert redis_server.client().exists("k") == 1
        redis_server.client().delete("k")
        time.sleep(0.7)
        assert lock._lost is None and redis_server.client().exists("k") == 1
    assert redis_server.client().exists("k") == 0


def test_a_forked_child_has_its_own_connection(redis_server: Any) -> None:
    settings = _settings(redis_server)
    parent = client(settings)
    assert parent.ping()
    pid = os.fork()
    if pid == 0:  # the child: exit code 0 only for a lock taken on a connection of its own
        code = 1
        try:
            with RedisLock(settings, "child", 5, fail_fast=True):
                code = 0 if client(settings).ping() else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert parent.ping()  # the parent's connection is untouched
    assert redis_server.client().exists("child") == 0


def test_a_short_lease_taken_beside_a_long_one_is_renewed(redis_server: Any) -> None:
    """The renewal thread sleeps until the long lease is due: the short one must wake it."""
    with _lock(redis_server, "long", 60):
        time.sleep(0.1)  # the thread is asleep on the long lease
        with _lock(redis_server, "short", 1) as short:
            time.sleep(1.6)  # longer than the lease
            assert short._lost is None
            assert redis_server.client().exists("short") == 1


def test_the_renewal_thread_survives_a_failing_renewal(
    redis_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = _lock(redis_server, "broken", 1)
    monkeypatch.setattr(broken, "renew", lambda: 1 / 0)
    with (
        pytest.raises(gokart.LockError, match="'broken'"),
        broken,
        _lock(redis_server, "fine", 1) as fine,
    ):
        time.sleep(1.6)
        assert isinstance(broken._lost, ZeroDivisionError)
        assert fine._lost is None and redis_server.client().exists("fine") == 1
