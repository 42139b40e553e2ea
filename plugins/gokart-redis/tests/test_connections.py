"""The lock on every kind of redis a production has (issue 15), each a server of the test's own:
a password, an ACL user, TLS with certificates made here, a database number, a unix socket, and
Sentinel with a failover. A wrong password or certificate fails fast with the server named and
the secret nowhere."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import luigi.configuration
import pytest

import gokart_core as gokart
from gokart_core.plugin_api import LockError, LockSettings
from gokart_redis import _redis_lock
from gokart_redis.testing import make_tls_files, start_redis, start_sentinel_set

SECRET = "pw-Xq93/kk"


def _locked_once(key: str, settings: LockSettings) -> None:
    lock = _redis_lock(key, settings)
    assert lock is not None
    with lock:
        pass


def test_a_password_from_the_config_and_a_wrong_one(tmp_path: Path, redis_config: Any) -> None:
    server = start_redis(tmp_path / "r", password=SECRET)
    try:
        where = LockSettings(host=server.host, port=server.port)
        with pytest.raises(LockError) as missing:
            _locked_once("k", where)
        assert f"{server.host}:{server.port}" in str(missing.value)
        assert "AuthenticationError" in str(missing.value)
        assert "no password was given" in str(missing.value)

        redis_config(password="not-" + SECRET)
        started = time.monotonic()
        with pytest.raises(LockError) as wrong:
            _locked_once("k", where)
        assert time.monotonic() - started < 3  # not retried: a wrong password stays wrong
        assert f"{server.host}:{server.port}" in str(wrong.value)
        assert "invalid username-password" in str(wrong.value)
        assert SECRET not in str(wrong.value)

        redis_config(password=SECRET)
        lock = _redis_lock("k", where)
        assert lock is not None
        with lock:
            assert server.client().get("k") is not None
            assert SECRET not in repr(lock)
        assert server.client().get("k") is None
    finally:
        server.stop()


def test_an_acl_user_in_a_url_and_a_database_number(tmp_path: Path) -> None:
    server = start_redis(tmp_path / "r", users={"builder": SECRET})
    try:
        url = f"redis://builder:{SECRET.replace('/', '%2F')}@{server.host}:{server.port}/3"
        lock = _redis_lock("k", LockSettings(host=url))
        assert lock is not None
        with lock:
            assert server.client(db=3).get("k") is not None
            assert server.client(db=0).get("k") is None
        with pytest.raises(LockError) as wrong:
            _locked_once("k", LockSettings(host=url.replace("builder:", "nobody:")))
        assert f"{server.host}:{server.port}" in str(wrong.value) and SECRET not in str(wrong.value)
    finally:
        server.stop()


def test_tls_with_a_ca_and_a_client_certificate(tmp_path: Path, redis_config: Any) -> None:
    files = make_tls_files(tmp_path / "tls")
    server = start_redis(tmp_path / "r", tls=files)
    try:
        redis_config(
            ssl="true",
            ssl_ca_certs=files.ca_cert,
            ssl_certfile=files.client_cert,
            ssl_keyfile=files.client_key,
        )
        where = LockSettings(host=server.host, port=server.port)
        _locked_once("k", where)
        assert server.client().get("k") is None  # taken and released over TLS

        other = make_tls_files(tmp_path / "other-ca")  # a CA that did not sign the server's
        redis_config(ssl_ca_certs=other.ca_cert)
        started = time.monotonic()
        with pytest.raises(LockError) as wrong:
            _locked_once("k", where)
        assert time.monotonic() - started < 3  # a certificate that fails does not heal
        assert f"{server.host}:{server.port}" in str(wrong.value)
        assert "certificate" in str(wrong.value).lower()
    finally:
        server.stop()


def test_a_unix_socket(tmp_path: Path) -> None:
    server = start_redis(tmp_path / "r", unix_socket=True)
    try:
        lock = _redis_lock("k", LockSettings(host=f"unix://{server.unix_socket}"))
        assert lock is not None
        with lock:
            assert server.client().get("k") is not None
        assert str(server.unix_socket) in lock.server  # type: ignore[attr-defined]
    finally:
        server.stop()


class SentinelLocked(gokart.TaskOnKart[str]):
    n: int = luigi.IntParameter()

    def output(self) -> Any:
        return self.make_target(f"sentinel/n_{self.n}.val")

    def run(self) -> None:
        self.dump(f"value {self.n}")


def test_sentinel_keeps_locking_through_a_failover(tmp_path: Path, redis_config: Any) -> None:
    group = start_sentinel_set(tmp_path / "sentinel")
    try:
        redis_config(sentinels=group.sentinels, sentinel_service=group.service)
        where = LockSettings()
        _locked_once("before", where)
        ws = str(tmp_path / "ws")
        assert gokart.build(SentinelLocked(n=1, workspace_directory=ws, should_lock_run=True))

        group.master.kill()
        promoted = group.wait_for_failover()
        assert promoted == ("127.0.0.1", group.replica.port)
        lock = _redis_lock("after", where)
        assert lock is not None
        with lock:
            assert group.replica.client().get("after") is not None  # on the new master
        task = SentinelLocked(n=2, workspace_directory=ws, should_lock_run=True)
        assert gokart.build(task) == "value 2"
    finally:
        group.stop()
