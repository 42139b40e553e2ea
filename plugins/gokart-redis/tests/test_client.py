"""gokart-redis's own RESP client and lock scripts, checked against a real redis-server and,
where two clients meet, against redis-py (the client gokart's lock uses)."""

from __future__ import annotations

import socket
from typing import Any

import pytest

import gokart_core as gokart
from gokart_redis._client import Connection, RedisConnectionError, RedisReplyError, client
from gokart_redis._lock import _ACQUIRE, RedisLock


def _conn(server: Any) -> Connection:
    return Connection(server.host, server.port, connect_timeout=1.0, timeout=5.0)


def test_replies_of_every_kind(redis_server: Any) -> None:
    conn = _conn(redis_server)
    assert conn.execute("PING") == b"PONG"
    assert conn.execute("SET", "k", "v\r\nwith a line break") == b"OK"
    assert conn.execute("GET", "k") == b"v\r\nwith a line break"
    assert conn.execute("GET", "missing") is None
    assert conn.execute("INCR", "n") == 1
    assert conn.execute("GET", "") is None  # an empty argument is sent as an empty bulk
    with pytest.raises(RedisReplyError, match="WRONGTYPE|not an integer"):
        conn.execute("INCR", "k")
    assert conn.execute("PING") == b"PONG"  # an error reply leaves the connection usable
    conn.close()


def test_a_connection_the_server_dropped_is_replaced(redis_server: Any) -> None:
    conn = _conn(redis_server)
    assert conn.execute("CLIENT", "SETNAME", "victim") == b"OK"
    assert redis_server.client().client_kill_filter(_type="normal", skipme=True) >= 1
    # The first send hits the dead socket; the command is sent once more on a new one.
    assert conn.execute("CLIENT", "GETNAME") is None
    conn.close()


def test_no_server_is_a_connection_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: refused
        with pytest.raises(RedisConnectionError):
            Connection("127.0.0.1", port, connect_timeout=1.0, timeout=1.0).execute("PING")


def test_each_thread_and_process_has_its_own_connection(redis_server: Any) -> None:
    import threading

    mine = client(redis_server.host, redis_server.port)
    assert client(redis_server.host, redis_server.port) is mine
    other: list[Connection] = []
    thread = threading.Thread(
        target=lambda: other.append(client(redis_server.host, redis_server.port))
    )
    thread.start()
    thread.join()
    assert other[0] is not mine


def test_acquiring_again_with_the_same_token_succeeds(redis_server: Any) -> None:
    """What makes resending after a lost reply safe: the holder gets its own lock again."""
    conn = _conn(redis_server)
    assert conn.execute("EVAL", _ACQUIRE, 1, "lock", "token-a", 5000) == 1
    assert conn.execute("EVAL", _ACQUIRE, 1, "lock", "token-a", 5000) == 1
    assert conn.execute("EVAL", _ACQUIRE, 1, "lock", "token-b", 5000) == 0
    assert 0 < redis_server.client().pttl("lock") <= 5000


def test_excludes_redis_py_locks_and_is_excluded_by_them(redis_server: Any) -> None:
    theirs = redis_server.client().lock("shared", timeout=5)
    with RedisLock(redis_server.host, redis_server.port, "shared", 5, fail_fast=True):
        assert not theirs.acquire(blocking=False)
    assert theirs.acquire(blocking=False)
    try:
        with (
            pytest.raises(gokart.TaskLockException, match="shared"),
            RedisLock(redis_server.host, redis_server.port, "shared", 5, fail_fast=True),
        ):
            pass
    finally:
        theirs.release()


def test_a_lock_lost_while_held_is_reported_and_the_new_holder_kept(redis_server: Any) -> None:
    other = redis_server.client()
    with (
        pytest.raises(gokart.LockError, match="was lost while held"),
        RedisLock(redis_server.host, redis_server.port, "k", 5, fail_fast=False),
    ):
        other.delete("k")  # as if the lease had run out...
        other.set("k", "someone else")  # ...and another holder came
    assert other.get("k") == b"someone else"  # the release did not take their lock


def test_the_lease_is_the_timeout(redis_server: Any) -> None:
    with RedisLock(redis_server.host, redis_server.port, "k", 7, fail_fast=False):
        assert 6000 < redis_server.client().pttl("k") <= 7000
    assert redis_server.client().exists("k") == 0
