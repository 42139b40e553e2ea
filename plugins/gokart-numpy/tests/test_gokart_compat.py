""".npz between the PyPI gokart package and gokart-core."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import gokart
import gokart.target
import numpy as np
import pytest

import gokart_core
import gokart_numpy
from gokart_core.plugin.manager import use_plugin_manager
from gokart_core.testing import builtins_only_plugin_manager

ARRAYS = [
    np.arange(1000, dtype="int32").reshape(10, 100),
    np.array([1.5, np.nan, -np.inf]),
    np.array(["a", "ünïcode"]),
]


@pytest.fixture(autouse=True)
def _numpy_only() -> Iterator[None]:
    with use_plugin_manager(builtins_only_plugin_manager(gokart_numpy)):
        yield


@pytest.mark.parametrize("array", ARRAYS, ids=lambda a: str(a.dtype))
def test_gokart_written_npz_loads_equal(tmp_path: Path, array: np.ndarray) -> None:
    path = str(tmp_path / "x.npz")
    gokart.target.make_target(file_path=path).dump(array)
    loaded = gokart_core.make_target(path).load()
    assert loaded.dtype == array.dtype
    np.testing.assert_array_equal(loaded, array)


@pytest.mark.parametrize("array", ARRAYS, ids=lambda a: str(a.dtype))
def test_gokart_core_written_npz_loads_equal_in_gokart(tmp_path: Path, array: np.ndarray) -> None:
    path = str(tmp_path / "x.npz")
    gokart_core.make_target(path).dump(array)
    loaded = gokart.target.make_target(file_path=path).load()
    assert loaded.dtype == array.dtype
    np.testing.assert_array_equal(loaded, array)
