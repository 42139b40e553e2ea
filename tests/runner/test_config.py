"""``gokart_core.add_config``: ini, yaml and toml files, environment interpolation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import luigi
import luigi.configuration
import pytest
from luigi.configuration.cfg_parser import LuigiConfigParser

import gokart_core as gokart


class ConfiguredTask(gokart.TaskOnKart[Any]):
    name: str = luigi.Parameter(default="default")
    size: int = luigi.IntParameter(default=0)
    flag: bool = luigi.BoolParameter(default=False)
    items: Any = luigi.ListParameter(default=[])


@pytest.fixture(autouse=True)
def restore_config() -> Iterator[None]:
    paths = list(LuigiConfigParser._config_paths)
    yield
    LuigiConfigParser._config_paths[:] = paths
    config = luigi.configuration.get_config()
    if config.has_section("ConfiguredTask"):
        config.remove_section("ConfiguredTask")
    LuigiConfigParser.reload()


def test_ini_with_environment_interpolation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOKART_CORE_TEST_NAME", "from env")
    path = tmp_path / "a.ini"
    path.write_text("[ConfiguredTask]\nname=${GOKART_CORE_TEST_NAME}\nsize=3\n")
    gokart.add_config(str(path))
    task = ConfiguredTask()
    assert (task.name, task.size) == ("from env", 3)


def test_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOKART_CORE_TEST_NAME", "yaml env")
    path = tmp_path / "a.yaml"
    path.write_text(
        "ConfiguredTask:\n  name: ${GOKART_CORE_TEST_NAME} 100%\n  size: 7\n  flag: true\n"
        "  items: [1, two]\n"
    )
    gokart.add_config(path)
    task = ConfiguredTask()
    assert (task.name, task.size, task.flag, task.items) == ("yaml env 100%", 7, True, (1, "two"))


def test_toml(tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    path.write_text('[ConfiguredTask]\nname = "toml"\nsize = 9\nflag = false\n')
    gokart.add_config(path)
    task = ConfiguredTask()
    assert (task.name, task.size, task.flag) == ("toml", 9, False)


def test_later_file_wins(tmp_path: Path) -> None:
    first, second = tmp_path / "1.toml", tmp_path / "2.toml"
    first.write_text('[ConfiguredTask]\nname = "first"\nsize = 1\n')
    second.write_text('[ConfiguredTask]\nname = "second"\n')
    gokart.add_config(first)
    gokart.add_config(second)
    assert (ConfiguredTask().name, ConfiguredTask().size) == ("second", 1)


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such config file"):
        gokart.add_config(tmp_path / "missing.ini")
    other = tmp_path / "a.json"
    other.write_text("{}")
    with pytest.raises(ValueError, match="unknown config suffix"):
        gokart.add_config(other)
    bad = tmp_path / "bad.toml"
    bad.write_text("name = 1\n")
    with pytest.raises(ValueError, match="section 'name'"):
        gokart.add_config(bad)
