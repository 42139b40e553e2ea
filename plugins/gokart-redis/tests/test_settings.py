"""Where the lock's redis is (issue 15): the task's host and port, a URL, ``[gokart_redis]`` and
``GOKART_REDIS_*``; and no password in a message, a repr or a task's serialized parameters."""

from __future__ import annotations

from typing import Any

import luigi
import pytest

import gokart_core as gokart
from gokart_core.plugin_api import LockSettings
from gokart_redis._settings import RedisSettings, RedisSettingsError, resolve, scrub

SECRET = "s3cr3t/p@ss"
QUOTED = "s3cr3t%2Fp%40ss"


def _resolve(
    host: str | None = None,
    port: int | None = None,
    config: dict[str, str] | None = None,
    environ: dict[str, str] | None = None,
) -> RedisSettings | None:
    return resolve(LockSettings(host=host, port=port), config or {}, environ or {})


def test_no_server_named_means_no_lock() -> None:
    assert _resolve() is None
    assert _resolve(host="127.0.0.1") is None  # gokart's rule: host and port, both
    assert _resolve(port=6379) is None
    assert _resolve(config={"password": "x", "db": "2"}) is None  # options alone name nothing


def test_host_and_port_with_options_from_config_and_environment() -> None:
    found = _resolve(
        "10.0.0.5",
        6390,
        config={"password": "from-config", "db": "2", "socket_timeout": "1.5"},
        environ={"GOKART_REDIS_PASSWORD": SECRET, "GOKART_REDIS_RETRY_SECONDS": "4"},
    )
    assert found == RedisSettings(
        host="10.0.0.5", port=6390, db=2, password=SECRET, socket_timeout=1.5, retry_seconds=4
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            f"redis://worker:{QUOTED}@cache.internal:6380/3",
            {"host": "cache.internal", "port": 6380, "db": 3, "username": "worker"},
        ),
        ("rediss://cache.internal/0", {"host": "cache.internal", "port": 6379, "ssl": True}),
        ("unix:///run/redis.sock?db=4", {"unix_socket_path": "/run/redis.sock", "db": 4}),
    ],
)
def test_urls_as_redis_py_reads_them(url: str, expected: dict[str, Any]) -> None:
    for found in (_resolve(host=url), _resolve(config={"url": url})):
        assert found is not None
        for key, value in expected.items():
            assert getattr(found, key) == value, key
    with_password = _resolve(host=f"redis://worker:{QUOTED}@h:1/0")
    assert with_password is not None and with_password.password == SECRET


def test_the_task_s_server_wins_over_the_config_url() -> None:
    found = _resolve("127.0.0.1", 7000, config={"url": "redis://elsewhere:1/0", "db": "5"})
    assert found is not None
    assert (found.host, found.port, found.db) == ("127.0.0.1", 7000, 5)


def test_sentinels() -> None:
    found = _resolve(
        config={"sentinels": "10.0.0.1:26379, 10.0.0.2:26380", "sentinel_service": "cache"}
    )
    assert found is not None
    assert found.sentinels == (("10.0.0.1", 26379), ("10.0.0.2", 26380))
    assert found.describe() == (
        "redis master 'cache' of the sentinels 10.0.0.1:26379,10.0.0.2:26380"
    )
    with pytest.raises(RedisSettingsError, match="sentinel_service"):
        _resolve(config={"sentinels": "10.0.0.1:26379"})
    with pytest.raises(RedisSettingsError, match=r"'10\.0\.0\.1' is not host:port"):
        _resolve(config={"sentinels": "10.0.0.1", "sentinel_service": "cache"})


def test_a_bad_option_names_itself_and_hides_a_password() -> None:
    with pytest.raises(RedisSettingsError, match=r"\[gokart_redis\] db: 'two' is not a valid int"):
        _resolve("h", 1, config={"db": "two"})
    with pytest.raises(RedisSettingsError, match="GOKART_REDIS_SOCKET_TIMEOUT"):
        _resolve("h", 1, environ={"GOKART_REDIS_SOCKET_TIMEOUT": "soon"})
    with pytest.raises(RedisSettingsError) as info:
        _resolve(host=f"redis://u:{QUOTED}@h:notaport/0")
    assert SECRET not in str(info.value) and QUOTED not in str(info.value)


def test_no_password_in_describe_repr_or_scrubbed_text() -> None:
    found = _resolve(host=f"rediss://worker:{QUOTED}@cache:6380/2")
    assert found is not None
    assert found.describe() == "redis cache:6380 (db 2, TLS, user 'worker')"
    assert SECRET not in repr(found) and "password" not in repr(found)
    text = f"AUTH failed for {SECRET} ({QUOTED})"
    assert scrub(text, found) == "AUTH failed for *** (***)"


class WithServer(gokart.TaskOnKart[str]):
    pass


def test_a_url_s_password_is_masked_in_the_task_s_serialized_parameters() -> None:
    url = f"redis://worker:{QUOTED}@cache:6380/0"
    task = WithServer(redis_host=url)
    assert task.redis_host == url  # the value keeps it: the lock needs it
    params = task.to_str_params()  # what luigid, the logs and the tree get
    assert params["redis_host"] == "redis://worker:***@cache:6380/0"
    assert SECRET not in repr(task) and QUOTED not in repr(task)
    assert task.make_unique_id() == WithServer().make_unique_id()  # not significant
    assert WithServer.redis_host.serialize("localhost") == "localhost"
    assert isinstance(WithServer.get_params()[0][1], luigi.Parameter)


def test_redis_py_is_imported_only_when_a_lock_is_configured(tmp_path: Any) -> None:
    """A build without a lock server never pays for redis-py's import."""
    import subprocess
    import sys

    code = (
        "import sys, gokart_core as gokart, gokart_redis\n"
        "from gokart_core.plugin.manager import get_plugins\n"
        "from gokart_core.plugin_api import LockSettings\n"
        "get_plugins().make_run_lock('k', LockSettings())\n"
        "assert 'redis' not in sys.modules, 'imported without a lock'\n"
        "get_plugins().make_run_lock('k', LockSettings(host='127.0.0.1', port=1))\n"
        "assert 'redis' in sys.modules\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_every_lock_sees_a_changed_environment_or_config(
    monkeypatch: pytest.MonkeyPatch, redis_config: Any
) -> None:
    """The settings are remembered per inputs: a variable or option changed between two locks
    of one process changes the next lock's settings."""
    where = LockSettings(host="127.0.0.1", port=7000)
    monkeypatch.setenv("GOKART_REDIS_DB", "2")
    first = resolve(where)
    assert first is not None and first.db == 2
    assert resolve(where) == first
    monkeypatch.setenv("GOKART_REDIS_DB", "3")
    changed = resolve(where)
    assert changed is not None and changed.db == 3
    monkeypatch.delenv("GOKART_REDIS_DB")
    redis_config(db="4", retry_seconds="7")
    configured = resolve(where)
    assert configured is not None and (configured.db, configured.retry_seconds) == (4, 7.0)
    redis_config(retry_seconds="8")
    again = resolve(where)
    assert again is not None and again.retry_seconds == 8.0
