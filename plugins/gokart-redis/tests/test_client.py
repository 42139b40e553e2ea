"""redis-py's clients for the lock: one connection per thread and process. Two threads never
share a connection, a forked child (luigi's ``workers=N``) never uses its parent's, and the
parent's keeps working after the child is gone."""

from __future__ import annotations

import os
import threading
from typing import Any

from gokart_redis._client import client, run_script
from gokart_redis._lock import RedisLock
from gokart_redis._settings import RedisSettings

_ECHO = "return ARGV[1]"


def _settings(server: Any) -> RedisSettings:
    return RedisSettings(host=server.host, port=server.port)


def _echo_many(settings: RedisSettings, tag: str, times: int) -> None:
    """Send ``times`` scripts whose replies name this caller: a connection shared with another
    caller would hand one of them the other's reply."""
    for i in range(times):
        sent = f"{tag}-{i}"
        got = run_script(settings, _ECHO, ["k"], [sent])
        assert got == sent.encode(), (sent, got)


def test_each_thread_has_a_connection_of_its_own(redis_server: Any) -> None:
    settings = _settings(redis_server)
    ids: dict[str, int] = {}
    errors: list[BaseException] = []

    def work(tag: str) -> None:
        try:
            ids[tag] = client(settings).client_id()
            _echo_many(settings, tag, 300)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"t{n}",)) for n in range(3)]
    for t in threads:
        t.start()
    work("main")
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(ids.values())) == 4  # a connection per thread
    assert client(settings) is client(settings)  # and one client per thread, kept


def test_a_forked_child_connects_anew_and_the_parent_keeps_its_connection(
    redis_server: Any,
) -> None:
    settings = _settings(redis_server)
    parent_id = client(settings).client_id()
    with RedisLock(settings, "before-fork", 30, False):
        pass  # the parent's scripts are loaded and its clock offset is known
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, never return into pytest
        code = 1
        try:
            os.close(read)
            child_id = client(settings).client_id()
            _echo_many(settings, "child", 300)
            with RedisLock(settings, "in-child", 30, False):
                pass
            os.write(write, str(child_id).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    _echo_many(settings, "parent", 300)  # at the same time as the child's
    _, status = os.waitpid(pid, 0)
    with os.fdopen(read) as pipe:
        child_id = int(pipe.read() or "-1")
    assert os.waitstatus_to_exitcode(status) == 0
    assert child_id not in (-1, parent_id)
    # The child dropped its copy of the parent's socket without shutting it down.
    assert client(settings).client_id() == parent_id
    _echo_many(settings, "parent-after", 10)
