"""``@inherits_config_params``: the seed README's MasterConfig example, verbatim."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import luigi
import luigi.configuration
import pytest

import gokart_core as gokart
from gokart_core import inherits_config_params


class MasterConfig(luigi.Config):
    param: str = luigi.Parameter()
    param2: str = luigi.Parameter()


@inherits_config_params(MasterConfig)
class SomeTask(gokart.TaskOnKart):  # type: ignore[type-arg]
    param: str = luigi.Parameter()


class AliasConfig(luigi.Config):
    size: int = luigi.IntParameter(default=7)
    unused: str = luigi.Parameter(default="u")


@inherits_config_params(AliasConfig, parameter_alias={"size": "batch_size"})
class AliasTask(gokart.TaskOnKart[Any]):
    batch_size: int = luigi.IntParameter(default=1)
    other: int = luigi.IntParameter(default=2)


@pytest.fixture
def config() -> Iterator[luigi.configuration.LuigiConfigParser]:
    cfg = luigi.configuration.get_config()
    added = []
    for section in ("MasterConfig", "AliasConfig"):
        if not cfg.has_section(section):
            cfg.add_section(section)
            added.append(section)
    try:
        yield cfg
    finally:
        for section in added:
            cfg.remove_section(section)


def test_master_config_example(config: Any) -> None:
    config.set("MasterConfig", "param", "from config")
    config.set("MasterConfig", "param2", "only in config")
    task = SomeTask()
    assert task.param == "from config"
    assert not hasattr(task, "param2")
    assert "param2" not in dict(SomeTask.get_params())


def test_explicit_argument_wins(config: Any) -> None:
    config.set("MasterConfig", "param", "from config")
    assert SomeTask(param="explicit").param == "explicit"


def test_config_params_enter_the_unique_id(config: Any) -> None:
    config.set("MasterConfig", "param", "a")
    first = SomeTask().make_unique_id()
    assert first == SomeTask(param="a").make_unique_id()
    config.set("MasterConfig", "param", "b")
    luigi.task_register.Register.clear_instance_cache()
    assert SomeTask().make_unique_id() != first


def test_missing_config_parameter_not_in_task_is_no_error(config: Any) -> None:
    """param2 is missing from the config, but SomeTask does not have it: no error."""
    config.set("MasterConfig", "param", "x")
    assert SomeTask().param == "x"


def test_decorated_class_keeps_name_and_family() -> None:
    assert SomeTask.__name__ == "SomeTask"
    assert SomeTask.get_task_family() == "SomeTask"
    assert SomeTask.__module__ == __name__


def test_parameter_alias_and_config_default(config: Any) -> None:
    assert AliasTask().batch_size == 7  # the config class's default
    config.set("AliasConfig", "size", "42")
    luigi.task_register.Register.clear_instance_cache()
    task = AliasTask()
    assert (task.batch_size, task.other) == (42, 2)
    assert AliasTask(batch_size=3).batch_size == 3


def test_bad_alias_and_bad_config_class() -> None:
    with pytest.raises(ValueError, match="nope"):
        inherits_config_params(AliasConfig, parameter_alias={"nope": "x"})
    with pytest.raises(TypeError, match="not a luigi.Config"):
        inherits_config_params(dict)  # type: ignore[arg-type]
