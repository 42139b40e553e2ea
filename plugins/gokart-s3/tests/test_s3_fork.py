"""An S3 workspace in a task process that luigi forked: the child's own session and client (the
parent's hold its event loop and connections), with the parent's parsed service models."""

from __future__ import annotations

import os
import pickle
from typing import Any

import gokart_core as gokart


def _in_child(fn: Any) -> Any:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            result = ("ok", fn())
        except BaseException as exc:  # reported to the parent, which fails the test
            result = ("error", repr(exc))
        with os.fdopen(write, "wb") as out:
            pickle.dump(result, out)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as inp:
        kind, value = pickle.loads(inp.read())
    os.waitpid(pid, 0)
    assert kind == "ok", value
    return value


def test_a_forked_child_has_its_own_session_sharing_the_data_loader(s3: Any) -> None:
    target = gokart.make_target("s3://gokart-test/fork/x.pkl")
    target.dump("from the parent")
    parent_fs = target.fs
    parent_loader = parent_fs.session.get_component("data_loader")

    def child() -> tuple[bool, bool, bool, Any]:
        fresh = gokart.make_target("s3://gokart-test/fork/y.pkl")
        fresh.dump("from the child")
        fs = target.fs  # the parent's target, resolved again here
        return (
            fs is not parent_fs,
            fs.session is not parent_fs.session,
            fs.session.get_component("data_loader") is parent_loader,
            (target.load(), fresh.load()),
        )

    assert _in_child(child) == (True, True, True, ("from the parent", "from the child"))
    assert gokart.make_target("s3://gokart-test/fork/y.pkl").load() == "from the child"
    assert target.fs is parent_fs  # the parent's own is untouched
