from __future__ import annotations

from collections.abc import Iterator

import luigi
import pytest

import gokart_pickle
from gokart_core.plugin.manager import Plugins, use_plugin_manager
from gokart_core.testing import builtins_only_plugin_manager

from . import formats


@pytest.fixture(autouse=True)
def plugins() -> Iterator[Plugins]:
    """Every test sees core's builtins, gokart-pickle and the test formats, and nothing else
    that happens to be installed."""
    # luigi caches task instances by their arguments; a test's config must not meet another
    # test's instances.
    luigi.task_register.Register.clear_instance_cache()
    with use_plugin_manager(builtins_only_plugin_manager(gokart_pickle, formats)) as p:
        yield p
