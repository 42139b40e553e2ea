from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import luigi.configuration
import pytest

import gokart_redis
from gokart_core.plugin.manager import use_plugin_manager
from gokart_core.testing import builtins_only_plugin_manager
from gokart_core.testing._lock_pipeline import ValueFormatPlugin
from gokart_redis.testing import RedisServer, start_redis


@pytest.fixture
def start_redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Start a redis-server of the test's own (stopped at the end of the test)."""
    started: list[RedisServer] = []

    def start() -> RedisServer:
        started.append(start_redis(tmp_path_factory.mktemp("redis")))
        return started[-1]

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = start_redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _redis_plugin_only(redis_server: RedisServer) -> Iterator[None]:
    """This plugin and the tests' .val format; every test starts with an empty redis."""
    redis_server.client().flushall()
    with use_plugin_manager(builtins_only_plugin_manager(gokart_redis, ValueFormatPlugin())):
        yield


@pytest.fixture
def redis_config() -> Iterator[Any]:
    """Set options of ``[gokart_redis]`` for the test (the section is removed after)."""
    config = luigi.configuration.get_config()

    def configure(**options: Any) -> None:
        if not config.has_section("gokart_redis"):
            config.add_section("gokart_redis")
        for key, value in options.items():
            config.set("gokart_redis", key, str(value))

    yield configure
    config.remove_section("gokart_redis")
