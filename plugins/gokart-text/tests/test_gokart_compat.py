"""Files written by the PyPI gokart package load in gokart-core to equal lists, and back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import gokart
import gokart.target
import pytest

import gokart_core
import gokart_text
from gokart_core.plugin.manager import use_plugin_manager
from gokart_core.testing import builtins_only_plugin_manager

LINES = ["first", "", "ünïcode ✓", "1", "2.5"]


@pytest.fixture(autouse=True)
def _text_only() -> Iterator[None]:
    with use_plugin_manager(builtins_only_plugin_manager(gokart_text)):
        yield


@pytest.fixture(params=[".txt", ".ini", ".gz"])
def ext(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_gokart_written_lists_load_equal(tmp_path: Path, ext: str) -> None:
    path = str(tmp_path / f"x{ext}")
    gokart.target.make_target(file_path=path).dump(["first", "", "ünïcode ✓", 1, 2.5])
    assert gokart_core.make_target(path).load() == LINES


def test_gokart_written_str_loads_as_its_lines(tmp_path: Path, ext: str) -> None:
    path = str(tmp_path / f"x{ext}")
    gokart.target.make_target(file_path=path).dump("one\ntwo")
    assert gokart_core.make_target(path).load() == ["one", "two"]
    assert gokart.target.make_target(file_path=path).load() == ["one", "two"]


def test_gokart_core_written_files_load_equal_in_gokart(tmp_path: Path, ext: str) -> None:
    path = str(tmp_path / f"x{ext}")
    gokart_core.make_target(path).dump(["first", "", "ünïcode ✓", 1, 2.5])
    assert gokart.target.make_target(file_path=path).load() == LINES
    gokart_core.make_target(path).dump(("a", "tuple"))
    assert gokart.target.make_target(file_path=path).load() == ["a", "tuple"]


def test_the_same_bytes_as_gokart(tmp_path: Path) -> None:
    ours, theirs = tmp_path / "ours.txt", tmp_path / "theirs.txt"
    gokart_core.make_target(str(ours)).dump(["a", 1, "b c"])
    gokart.target.make_target(file_path=str(theirs)).dump(["a", 1, "b c"])
    assert ours.read_bytes() == theirs.read_bytes()
