""".png and .jpg between the PyPI gokart package and gokart-core: the same bytes both ways."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import gokart
import gokart.target
import pytest

import gokart_binary
import gokart_core
from gokart_core.plugin.manager import use_plugin_manager
from gokart_core.testing import builtins_only_plugin_manager

DATA = b"\x89PNG\r\n\x1a\n" + os.urandom(4096)


@pytest.fixture(autouse=True)
def _binary_only() -> Iterator[None]:
    with use_plugin_manager(builtins_only_plugin_manager(gokart_binary)):
        yield


@pytest.fixture(params=[".png", ".jpg"])
def ext(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_gokart_written_bytes_load_equal(tmp_path: Path, ext: str) -> None:
    path = str(tmp_path / f"x{ext}")
    gokart.target.make_target(file_path=path).dump(DATA)
    assert gokart_core.make_target(path).load() == DATA


def test_gokart_core_written_bytes_load_equal_in_gokart(tmp_path: Path, ext: str) -> None:
    path = str(tmp_path / f"x{ext}")
    gokart_core.make_target(path).dump(DATA)
    assert gokart.target.make_target(file_path=path).load() == DATA
