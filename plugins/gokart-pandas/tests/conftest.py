from __future__ import annotations

from collections.abc import Iterator

import pytest

import gokart_pandas
from gokart_core.plugin.manager import use_plugin_manager
from gokart_core.testing import builtins_only_plugin_manager


@pytest.fixture(autouse=True)
def _pandas_only() -> Iterator[None]:
    """Only core's builtins and this plugin, whatever else is installed."""
    with use_plugin_manager(builtins_only_plugin_manager(gokart_pandas)):
        yield
