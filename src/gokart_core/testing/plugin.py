"""Fixtures for tests of gokart-core plugins and pipelines."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import fsspec
import pluggy
import pytest

from gokart_core.plugin.manager import Plugins, make_plugin_manager, use_plugin_manager


def builtins_only_plugin_manager(*plugins: object) -> pluggy.PluginManager:
    """A plugin manager with core's builtins and ``plugins``; no entry point is loaded."""
    return make_plugin_manager(load_entrypoints=False, plugins=plugins)


@pytest.fixture
def gokart_plugins() -> Iterator[Plugins]:
    """Core's builtins only, as the process-wide plugins; register more with ``.pm.register``."""
    with use_plugin_manager(builtins_only_plugin_manager()) as plugins:
        yield plugins


@pytest.fixture
def memory_workspace() -> Iterator[str]:
    """A fresh ``memory://`` workspace URL, removed after the test."""
    url = f"memory://gokart-test-{uuid.uuid4().hex}"
    yield url
    fs = fsspec.filesystem("memory")
    path = url[len("memory://") :]
    if fs.exists(path):
        fs.rm(path, recursive=True)


@pytest.fixture
def local_workspace(tmp_path: Path) -> str:
    """A fresh local workspace folder."""
    return str(tmp_path / "resources")
