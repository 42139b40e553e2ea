"""An S3 workspace in a task process that luigi forked: the child's own filesystem and client
(the parent's hold its event loop and connections), on what the parent parsed already (the
session with botocore's service models, the TLS contexts)."""

from __future__ import annotations

import os
import pickle
from typing import Any

import pytest
import s3fs

import gokart_core as gokart
from gokart_s3 import _aiobotocore


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


def test_a_forked_child_has_its_own_client_and_reuses_the_parents_session(s3: Any) -> None:
    target = gokart.make_target("s3://gokart-test/fork/x.pkl")
    target.dump("from the parent")
    parent_fs = target.fs
    parent_session = parent_fs.session
    parent_client = parent_fs._s3  # s3fs's client: the parent's event loop and connections
    assert parent_session._credentials is not None  # resolved by the parent's requests

    def child() -> tuple[bool, bool, bool, bool, Any]:
        fresh = gokart.make_target("s3://gokart-test/fork/y.pkl")
        fresh.dump("from the child")
        fs = target.fs  # the parent's target, resolved again here
        return (
            fs is not parent_fs,
            fs._s3 is not parent_client,
            # The child's copy of the parent's session: its parsed models and handlers...
            fs.session is parent_session,
            # ... with credentials resolved again in the child (a refreshable one's asyncio
            # lock may belong to the parent's loop).
            fs.session._credentials is not parent_credentials,
            (target.load(), fresh.load()),
        )

    parent_credentials = parent_session._credentials
    assert _in_child(child) == (True, True, True, True, ("from the parent", "from the child"))
    assert gokart.make_target("s3://gokart-test/fork/y.pkl").load() == "from the child"
    assert target.fs is parent_fs  # the parent's own is untouched
    assert parent_fs.session._credentials is parent_credentials


def test_a_forked_child_does_not_build_tls_contexts_again(
    s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Building one loads the CA bundle, ~50 ms of CPU, even for an http:// endpoint: a forked
    child uses the contexts its parent built."""
    from aiobotocore.httpsession import AIOHTTPSession

    built: list[int] = []
    original = AIOHTTPSession._build_ssl_contexts

    def counting(self: Any, proxy_url: Any) -> Any:
        built.append(os.getpid())
        return original(self, proxy_url)

    monkeypatch.setattr(AIOHTTPSession, "_build_ssl_contexts", counting)
    monkeypatch.setattr(_aiobotocore, "_tls_contexts", {})
    s3fs.S3FileSystem.clear_instance_cache()  # a filesystem that has no client yet
    gokart.make_target("s3://gokart-test/fork/tls-parent.pkl").dump(1)
    assert built == [os.getpid()]

    def child() -> list[int]:
        target = gokart.make_target("s3://gokart-test/fork/tls-child.pkl")
        target.dump(2)  # a new client (the parent's is not fork-safe) and its first request
        assert target.load() == 2
        return [pid for pid in built if pid != os.getppid()]

    assert _in_child(child) == []


def test_a_task_that_chose_its_own_http_session_class_keeps_it(s3: Any) -> None:
    from aiobotocore.httpsession import AIOHTTPSession

    class Mine(AIOHTTPSession):  # type: ignore[misc]
        pass

    target = gokart.make_target(
        "s3://gokart-test/fork/own-class.pkl",
        storage_options={"config_kwargs": {"http_session_cls": Mine}},
    )
    target.dump("x")
    assert type(target.fs._s3._endpoint.http_session) is Mine
    assert target.load() == "x"
