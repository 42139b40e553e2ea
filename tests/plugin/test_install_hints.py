"""The install hints name the distribution and how to get it while it is not on PyPI."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomllib

from gokart_core.errors import PluginNotInstalledError, UnknownFormatError
from gokart_core.plugin.install_hints import REPOSITORY_PLUGINS, REPOSITORY_URL, pip_install
from gokart_core.target.registry import FormatRegistry

ROOT = Path(__file__).resolve().parents[2]


def test_every_plugin_of_the_repository_is_known() -> None:
    folders = {p.name for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").exists()}
    assert folders == REPOSITORY_PLUGINS
    for name in folders:
        project = tomllib.loads((ROOT / "plugins" / name / "pyproject.toml").read_text())
        assert project["project"]["name"] == name  # the folder is the distribution's name


def test_a_repository_plugin_says_how_to_install_it_from_the_repository() -> None:
    assert pip_install("gokart-xml") == (
        "pip install gokart-xml (not on PyPI yet: pip install "
        f'"gokart-xml @ git+{REPOSITORY_URL}#subdirectory=plugins/gokart-xml", '
        "or its wheel from nox -s build)"
    )


def test_extras_are_quoted_and_kept() -> None:
    hint = pip_install("'gokart-zip[pandas]'")
    assert hint.startswith("pip install 'gokart-zip[pandas]' (not on PyPI yet: ")
    assert f'"gokart-zip[pandas] @ git+{REPOSITORY_URL}#subdirectory=plugins/gokart-zip"' in hint


@pytest.mark.parametrize("requirement", ["gokart-yaml", "zstandard", "pyyaml"])
def test_anything_else_is_a_plain_pip_install(requirement: str) -> None:
    assert pip_install(requirement) == f"pip install {requirement}"


def test_registry_errors_carry_the_hint() -> None:
    with pytest.raises(UnknownFormatError) as unknown_extension:
        FormatRegistry().entry_for_path("ws/out.xml")
    assert pip_install("gokart-xml") in str(unknown_extension.value)
    with pytest.raises(UnknownFormatError) as unknown_name:
        FormatRegistry().create("x.zip", "model-zip")
    assert pip_install("gokart-zip") in str(unknown_name.value)
    registry = FormatRegistry()
    registry.add("npz", "not_installed.mod:Npz", extensions=(".npz",), install_hint="gokart-numpy")
    with pytest.raises(PluginNotInstalledError) as not_importable:
        registry.create("x.npz")
    assert pip_install("gokart-numpy") in str(not_importable.value)
