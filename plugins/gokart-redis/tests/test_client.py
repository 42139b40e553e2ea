"""gokart-redis's own RESP client and lock scripts, checked against a real redis-server and,
where two clients meet, against redis-py (the client gokart's lock uses)."""

from __future__ import annotations

import logging
import socket
import time
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
    # The release is sent without waiting for its reply: redis may read the other connection's
    # acquire first, so the other waits a moment for it.
    assert theirs.acquire(blocking=True, blocking_timeout=2)
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
        RedisLock(redis_server.host, redis_server.port, "k", 1, fail_fast=False) as lock,
    ):
        other.delete("k")  # as if the lease had run out...
        other.set("k", "someone else")  # ...and another holder came
        time.sleep(0.7)  # the renewal, a third of the lease on, finds out
        assert lock._lost is not None  # while held, not only at the release
    assert other.get("k") == b"someone else"  # the release did not take their lock


def test_a_release_whose_lease_may_have_run_out_waits_for_its_reply(redis_server: Any) -> None:
    lock = RedisLock(redis_server.host, redis_server.port, "k", 1, fail_fast=False)
    with pytest.raises(gokart.LockError, match="before the release"), lock:
        lock._leased_at -= 0.6  # as if the renewal thread had been starved past half the lease
        redis_server.client().set("k", "someone else")  # the lease ran out, another came
    assert redis_server.client().get("k") == b"someone else"


def test_a_release_within_the_lease_is_answered_with_the_next_command(
    redis_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    other = redis_server.client()
    with RedisLock(redis_server.host, redis_server.port, "k", 30, fail_fast=False):
        other.set("k", "someone else")  # deleted by hand: no lease ran out
    # The release was sent without waiting; its reply comes with the next lock's.
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    with RedisLock(redis_server.host, redis_server.port, "k2", 30, fail_fast=False):
        pass
    (record,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "'k'" in record.getMessage() and "held by another at its release" in record.getMessage()
    assert other.get("k") == b"someone else"


def test_a_release_sent_without_waiting_is_done(redis_server: Any) -> None:
    with RedisLock(redis_server.host, redis_server.port, "k", 30, fail_fast=False):
        assert 29000 < redis_server.client().pttl("k") <= 30000
    client(redis_server.host, redis_server.port).execute("PING")  # the release is ahead of it
    assert redis_server.client().exists("k") == 0


def test_commands_sent_without_waiting_are_resent_on_a_new_connection(redis_server: Any) -> None:
    conn = _conn(redis_server)
    replies: list[Any] = []
    assert conn.execute("CLIENT", "SETNAME", "victim") == b"OK"
    redis_server.client().client_kill_filter(_type="normal", skipme=True)
    conn.send("SET", "a", "1", on_reply=replies.append)  # may go out on the dead socket
    conn.send("SET", "b", "2", on_reply=replies.append)
    assert conn.execute("GET", "a") == b"1"
    assert replies == [b"OK", b"OK"]
    assert redis_server.client().get("b") == b"2"
    conn.close()


def test_replies_left_unread_are_bounded(redis_server: Any) -> None:
    conn = _conn(redis_server)
    replies: list[Any] = []
    for i in range(200):
        conn.send("SET", f"n{i}", i, on_reply=replies.append)
    assert len(conn._unread) < 64 and len(replies) > 100
    conn.close()


def test_an_interrupted_command_leaves_no_reply_behind(
    redis_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reply left unread would be taken for the next command's: an acquire could read an
    old 1 for a lock another holds."""
    conn = _conn(redis_server)
    assert conn.execute("SET", "held", "other") == b"OK"
    read = Connection._read_reply

    def interrupted(self: Connection, rfile: Any) -> Any:
        monkeypatch.setattr(Connection, "_read_reply", read)
        raise KeyboardInterrupt

    monkeypatch.setattr(Connection, "_read_reply", interrupted)
    with pytest.raises(KeyboardInterrupt):
        conn.execute("EVAL", _ACQUIRE, 1, "mine", "token-a", 5000)  # its reply is 1
    assert conn.execute("EVAL", _ACQUIRE, 1, "held", "token-b", 5000) == 0
    conn.close()


def test_a_failing_reply_callback_leaves_no_reply_behind(redis_server: Any) -> None:
    conn = _conn(redis_server)

    def broken(reply: Any) -> None:
        raise RuntimeError("a bug in a callback")

    conn.send("SET", "a", "1", on_reply=broken)
    assert conn.execute("GET", "missing") is None
    conn.close()


def test_a_send_after_the_server_closed_the_connection_goes_out_on_a_new_one(
    redis_server: Any,
) -> None:
    conn = _conn(redis_server)
    assert conn.execute("CLIENT", "SETNAME", "victim") == b"OK"
    redis_server.client().client_kill_filter(_type="normal", skipme=True)
    time.sleep(0.1)  # the close has arrived
    conn.send("SET", "after", "1", on_reply=lambda reply: None)
    # Nothing else on this connection: the command must have gone out by itself.
    deadline = time.monotonic() + 2
    while redis_server.client().get("after") is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert redis_server.client().get("after") == b"1"


def test_a_forked_child_has_its_own_connection(redis_server: Any) -> None:
    import os

    parent = client(redis_server.host, redis_server.port)
    parent.execute("PING")
    pid = os.fork()
    if pid == 0:  # the child: exit code 0 only for a connection of its own that works
        try:
            mine = client(redis_server.host, redis_server.port)
            ok = mine is not parent and mine.execute("PING") == b"PONG"
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert parent.execute("PING") == b"PONG"  # the parent's stream is untouched


def test_a_short_lease_taken_beside_a_long_one_is_renewed(redis_server: Any) -> None:
    """The renewal thread sleeps until the long lease is due: the short one must wake it."""
    host, port = redis_server.host, redis_server.port
    with RedisLock(host, port, "long", 60, fail_fast=False):
        time.sleep(0.1)  # the thread is asleep on the long lease
        with RedisLock(host, port, "short", 1, fail_fast=False) as short:
            time.sleep(1.6)  # longer than the lease
            assert short._lost is None
            assert redis_server.client().exists("short") == 1


def test_the_renewal_thread_survives_a_failing_renewal(
    redis_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    host, port = redis_server.host, redis_server.port
    broken = RedisLock(host, port, "broken", 1, fail_fast=False)
    monkeypatch.setattr(broken, "renew", lambda: 1 / 0)
    with (
        pytest.raises(gokart.LockError, match="'broken'"),  # its lease ran out
        broken,
        RedisLock(host, port, "fine", 1, fail_fast=False) as fine,
    ):
        time.sleep(1.6)
        assert isinstance(broken._lost, ZeroDivisionError)
        assert fine._lost is None and redis_server.client().exists("fine") == 1
