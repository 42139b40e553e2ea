from __future__ import annotations

from collections.abc import Iterator

import luigi
import pytest

import gokart_zip
from gokart_core.plugin.manager import use_plugin_manager
from gokart_core.testing import builtins_only_plugin_manager


@pytest.fixture(autouse=True)
def _zip_only() -> Iterator[None]:
    """Only core's builtins and this plugin, whatever else is installed."""
    luigi.task_register.Register.clear_instance_cache()
    with use_plugin_manager(builtins_only_plugin_manager(gokart_zip)):
        yield
