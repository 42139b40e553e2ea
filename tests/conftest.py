from __future__ import annotations

from collections.abc import Callable, Iterator

import luigi
import luigi.configuration
import pytest

import gokart_pickle
from gokart_core.plugin.manager import Plugins, use_plugin_manager
from gokart_core.testing import builtins_only_plugin_manager

from . import formats
from .server_fixtures import (  # noqa: F401 - fixtures, found by pytest here
    cloud_credentials,
    gcs_bucket,
    gcs_server,
    make_workspace,
    moto_server,
    redis_server,
    session_luigid,
    storage_plugins,
)


@pytest.fixture(autouse=True)
def plugins() -> Iterator[Plugins]:
    """Every test sees core's builtins, gokart-pickle and the test formats, and nothing else
    that happens to be installed."""
    # luigi caches task instances by their arguments; a test's config must not meet another
    # test's instances.
    luigi.task_register.Register.clear_instance_cache()
    with use_plugin_manager(builtins_only_plugin_manager(gokart_pickle, formats)) as p:
        yield p


@pytest.fixture
def set_config() -> Iterator[Callable[[str, str, str], None]]:
    """``set_config(section, option, value)`` sets a luigi config option for the test only."""
    cfg = luigi.configuration.get_config()
    previous: list[tuple[str, str, str | None]] = []
    added: set[str] = set()

    def set_option(section: str, option: str, value: str) -> None:
        if not cfg.has_section(section):
            added.add(section)
        had = cfg.has_option(section, option)
        previous.append((section, option, cfg.get(section, option) if had else None))
        cfg.set(section, option, value)

    yield set_option
    for section, option, value in reversed(previous):
        if value is None:
            cfg.remove_option(section, option)
        else:
            cfg.set(section, option, value)
    for section in added:
        if not cfg.options(section):
            cfg.remove_section(section)
