"""A key of the luigi config that no parameter reads warns, naming the closest one (issue 18)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import luigi
import pytest

import gokart_core as gokart
from gokart_core.task import config_check


@pytest.fixture(autouse=True)
def _fresh_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config_check, "_checked", set())
    monkeypatch.setattr(config_check, "_classes", set())


class KeysChecked(gokart.TaskOnKart[Any]):
    alpha = luigi.IntParameter(default=1)


class OtherKeysChecked(gokart.TaskOnKart[Any]):
    only_here = luigi.IntParameter(default=2)


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_a_misspelt_shared_key_warns_with_the_closest_known_one(
    set_config: Callable[[str, str, str], None], caplog: pytest.LogCaptureFixture, tmp_path: Any
) -> None:
    set_config("TaskOnKart", "worksapce_directory", str(tmp_path))
    set_config("TaskOnKart", "only_here", "3")  # a parameter of another subclass: known
    with caplog.at_level(logging.WARNING, logger="gokart_core"):
        KeysChecked()
        KeysChecked(alpha=5)  # once per process, not per task
    assert _warnings(caplog) == [
        "the luigi config's [TaskOnKart] has the key 'worksapce_directory', which no task's "
        "parameter reads; did you mean 'workspace_directory'?"
    ]


def test_a_misspelt_key_of_a_task_section_warns(
    set_config: Callable[[str, str, str], None], caplog: pytest.LogCaptureFixture
) -> None:
    set_config("KeysChecked", "alpah", "2")
    set_config("KeysChecked", "zzz_unrelated", "2")
    with caplog.at_level(logging.WARNING, logger="gokart_core"):
        KeysChecked()
    assert sorted(_warnings(caplog)) == [
        "the luigi config's [KeysChecked] has the key 'alpah', which no task's parameter "
        "reads; did you mean 'alpha'?",
        "the luigi config's [KeysChecked] has the key 'zzz_unrelated', which no task's "
        "parameter reads",
    ]


def test_known_keys_do_not_warn(
    set_config: Callable[[str, str, str], None], caplog: pytest.LogCaptureFixture, tmp_path: Any
) -> None:
    set_config("TaskOnKart", "workspace_directory", str(tmp_path))
    set_config("KeysChecked", "alpha", "4")
    with caplog.at_level(logging.WARNING, logger="gokart_core"):
        assert KeysChecked().alpha == 4
    assert _warnings(caplog) == []
