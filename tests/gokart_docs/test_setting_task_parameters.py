"""gokart docs, *Setting Task Parameters* (setting_task_parameters.rst).

Covered: from the command line, ``python main.py sample.SomeTask --SomeTask-param=Hello`` (the
task named by its module ``sample``); from a config file read by ``gokart.add_config()`` before
``gokart.run()``, a ``[sample.SomeTask]`` section (the task of namespace ``sample``) and values
taken from environment variables, ``param=${PARAMS}`` and ``[TaskOnKart]
workspace_directory=${WORKSPACE_DIRECTORY}``; at an upstream task; and inherited from a
``luigi.Config`` with ``@inherits_config_params``, with and without ``parameter_alias`` (only
the parameters both have are inherited).
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import luigi

import gokart_core as gokart
from gokart_core import inherits_config_params

from . import run_script

SAMPLE_MODULE = """\
import luigi

import gokart_core as gokart


class SomeTask(gokart.TaskOnKart[str]):
    param = luigi.Parameter()

    def run(self):
        self.dump(f'param={self.param}')
"""

MAIN = """\
import gokart_core as gokart

if __name__ == '__main__':
    gokart.run()
"""


def _loaded(folder: Path, pattern: str) -> list[Any]:
    found = []
    for path in sorted(folder.glob(pattern)):
        with open(path, "rb") as f:
            found.append(pickle.load(f))
    return found


def test_from_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "sample.py").write_text(SAMPLE_MODULE)
    done = run_script(
        tmp_path, MAIN, "sample.SomeTask", "--SomeTask-param=Hello", "--local-scheduler"
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert _loaded(tmp_path / "resources" / "sample", "SomeTask_*.pkl") == ["param=Hello"]


CONFIG_MAIN = """\
import luigi

import gokart_core as gokart


class SomeTask(gokart.TaskOnKart[str]):
    task_namespace = 'sample'
    param = luigi.Parameter()

    def output(self):
        return self.make_target('some_task.pkl')

    def run(self):
        self.dump(f'param={self.param}')


if __name__ == '__main__':
    gokart.add_config('./conf/config.ini')
    gokart.run()
"""


def test_from_a_config_file_with_environment_variables(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "config.ini").write_text(
        "[sample.SomeTask]\nparam=${PARAMS}\n\n"
        "[TaskOnKart]\nworkspace_directory=${WORKSPACE_DIRECTORY}\n"
    )
    env = {"PARAMS": "from the environment", "WORKSPACE_DIRECTORY": str(tmp_path / "elsewhere")}
    done = run_script(tmp_path, CONFIG_MAIN, "sample.SomeTask", "--local-scheduler", env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert not (tmp_path / "resources").exists()
    assert _loaded(tmp_path / "elsewhere", "some_task_*.pkl") == ["param=from the environment"]


class DocsSettingSomeTask(gokart.TaskOnKart[str]):
    param: str = luigi.Parameter()

    def run(self) -> None:
        self.dump(f"param={self.param}")


class DocsSettingUpstreamTask(gokart.TaskOnKart[dict[str, str]]):
    def requires(self) -> Any:
        return dict(sometask=DocsSettingSomeTask(param="Hello"))

    def run(self) -> None:
        self.dump(self.load())


def test_at_an_upstream_task(tmp_path: Path) -> None:
    task = DocsSettingUpstreamTask(workspace_directory=str(tmp_path))
    assert gokart.build(task) == {"sometask": "param=Hello"}


class DocsSettingMasterConfig(luigi.Config):
    param: str = luigi.Parameter()
    param2: str = luigi.Parameter()


@inherits_config_params(DocsSettingMasterConfig)
class DocsSettingInheriting(gokart.TaskOnKart[str]):
    param: str = luigi.Parameter()


@inherits_config_params(DocsSettingMasterConfig, parameter_alias={"param2": "param3"})
class DocsSettingAliased(gokart.TaskOnKart[str]):
    param3: str = luigi.Parameter()


def test_inherits_config_params(set_config: Any) -> None:
    set_config("DocsSettingMasterConfig", "param", "from the master")
    set_config("DocsSettingMasterConfig", "param2", "the second")
    inheriting = DocsSettingInheriting()
    assert inheriting.param == "from the master"
    assert not hasattr(inheriting, "param2")  # only what both classes have
    aliased = DocsSettingAliased()
    assert aliased.param3 == "the second"
    assert not hasattr(aliased, "param")
    # a value given to the task itself wins
    assert DocsSettingInheriting(param="mine").param == "mine"
