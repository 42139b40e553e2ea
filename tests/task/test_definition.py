"""The definition digest's cache lock survives a fork: a child forked while another thread of
the parent holds it (the run report's writer computes unique ids) still digests classes."""

from __future__ import annotations

import os
import threading
import time

from gokart_core.task import definition


class DigestedInTheChild:
    value = 1


def test_a_child_forked_while_the_lock_is_held_digests_classes() -> None:
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with definition._lock:
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(5)
    try:
        pid = os.fork()
        if pid == 0:  # the child: its own lock, free
            code = 1
            try:
                digest = definition.definition_digest(DigestedInTheChild)
                code = 0 if len(digest) == 32 else 1
            finally:
                os._exit(code)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.05)
        else:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            raise AssertionError("the child hung on the lock held by the parent's thread")
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        release.set()
        holder.join()
