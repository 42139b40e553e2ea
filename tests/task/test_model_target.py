"""make_model_target / make_large_data_frame_target in the core, with gokart-zip NOT installed:
the path rules hold and the error says what to install."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import gokart_core as gokart
from gokart_core import UnknownFormatError


def _save(obj: Any, path: str) -> None:
    Path(path).write_text(str(obj))


def _load(path: str) -> Any:
    return Path(path).read_text()


class Model(gokart.TaskOnKart[Any]):
    pass


def test_make_model_target_without_the_plugin_says_pip_install_gokart_zip(tmp_path: Path) -> None:
    task = Model(workspace_directory=str(tmp_path))
    with pytest.raises(UnknownFormatError, match="'model-zip'.*pip install gokart-zip"):
        task.make_model_target("model.zip", save_function=_save, load_function=_load)


def test_make_large_data_frame_target_without_the_plugin_says_pip_install_gokart_zip(
    tmp_path: Path,
) -> None:
    task = Model(workspace_directory=str(tmp_path))
    with pytest.raises(UnknownFormatError, match="'large-data-frame'.*pip install gokart-zip"):
        task.make_large_data_frame_target()


def test_a_zip_extension_without_the_plugin_says_pip_install_gokart_zip(tmp_path: Path) -> None:
    task = Model(workspace_directory=str(tmp_path))
    with pytest.raises(UnknownFormatError, match=r"'\.zip'.*pip install gokart-zip"):
        task.make_target("model.zip")


@pytest.mark.parametrize("path", ["model.pkl", "model", "model.zip.bak", "zip"])
def test_make_model_target_needs_a_zip_path(tmp_path: Path, path: str) -> None:
    task = Model(workspace_directory=str(tmp_path))
    with pytest.raises(ValueError, match=r"must end in '\.zip'") as info:
        task.make_model_target(path, save_function=_save, load_function=_load)
    assert not isinstance(info.value, UnknownFormatError)
    assert path in str(info.value)
