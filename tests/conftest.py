from __future__ import annotations

from collections.abc import Iterator

import pytest

import gokart_pickle
from gokart_core.plugin.manager import Plugins, use_plugin_manager
from gokart_core.testing import builtins_only_plugin_manager

from . import formats


@pytest.fixture(autouse=True)
def plugins() -> Iterator[Plugins]:
    """Every test sees core's builtins, gokart-pickle and the test formats, and nothing else
    that happens to be installed."""
    with use_plugin_manager(builtins_only_plugin_manager(gokart_pickle, formats)) as p:
        yield p
