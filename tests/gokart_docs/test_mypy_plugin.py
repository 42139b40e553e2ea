"""gokart docs, *[Experimental] Mypy plugin* (mypy_plugin.rst).

Covered: mypy with the plugin configured both ways the page shows, ``plugins =
gokart_core.mypy:plugin`` in a ``mypy.ini`` and ``plugins = ["gokart_core.mypy"]`` under
``[tool.mypy]`` of a ``pyproject.toml``, on the page's examples: ``Foo(foo=1, bar='2')`` passes,
``Foo(foo='1')`` is an error for ``foo``; ``self.load(self.str_task)`` of a
``TaskOnKart[str]`` parameter is inferred ``str`` (and ``int`` for the other); passing a
``TaskOnKart[str]`` task where ``TaskOnKart[int]`` is declared is the page's error.
A missing parameter without a default is left alone (a value may come from the config), unless
``[tool.gokart-mypy] disallow_missing_parameters = true``: then it is mypy's ``Missing named
argument``, and a value that is not a boolean is an error naming the file.

mypy is the test environment's if it has one, else the ``typecheck`` nox session's; without
either the tests skip. One mypy cache for the module: the first run is the slow one (a cold
mypy over luigi, pandas and gokart_core: 13 to 30 s here), hence ``slow``.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gokart_core.testing import servers

from . import ROOT, SOURCES

pytestmark = pytest.mark.slow

EXAMPLE = """\
from typing import Any

import gokart_core as gokart
import luigi


class Foo(gokart.TaskOnKart[Any]):
    # NOTE: must all the parameters be annotated
    foo: int = luigi.IntParameter(default=1)
    bar: str = luigi.Parameter()


Foo(foo=1, bar='2')  # line 13: OK
Foo(foo='1')  # line 14: foo is not an int


class StrTask(gokart.TaskOnKart[str]):
    def run(self) -> None:
        self.dump('a str')


class SampleTask(gokart.TaskOnKart[Any]):
    str_task: gokart.TaskOnKart[str] = gokart.TaskInstanceParameter()
    int_task: gokart.TaskOnKart[int] = gokart.TaskInstanceParameter()

    def requires(self) -> dict[str, gokart.TaskOnKart[Any]]:
        return dict(str=self.str_task, int=self.int_task)

    def run(self) -> None:
        s = self.load(self.str_task)
        i = self.load(self.int_task)
        reveal_type(s)  # line 32
        reveal_type(i)  # line 33


SampleTask(
    str_task=StrTask(),  # line 37: OK
    int_task=StrTask(),  # line 38: a TaskOnKart[str] for a TaskOnKart[int]
)
"""


def _mypy() -> list[str]:
    if importlib.util.find_spec("mypy") is not None:
        return [sys.executable, "-m", "mypy"]
    typecheck = ROOT / ".nox" / "typecheck" / "bin" / "mypy"
    if typecheck.exists():
        return [str(typecheck)]
    servers.unavailable(  # CI fails, elsewhere a skip
        "no mypy: neither in this environment nor in .nox/typecheck (pip install mypy)"
    )


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mypy_cache")


def _check(folder: Path, cache: Path, config: str, config_name: str) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "example.py").write_text(EXAMPLE)
    (folder / config_name).write_text(config)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(folder),
        "PYTHONPATH": os.pathsep.join(str(p) for p in SOURCES),
    }
    done = subprocess.run(
        [*_mypy(), "--config-file", config_name, "--cache-dir", str(cache), "example.py"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode in (0, 1), done.stdout + done.stderr
    return [line for line in done.stdout.splitlines() if line.startswith("example.py:")]


PAGE_RESULTS = [
    'example.py:14: error: Argument "foo" to "Foo" has incompatible type "str"; '
    'expected "int"  [arg-type]',
    'example.py:32: note: Revealed type is "str"',
    'example.py:33: note: Revealed type is "int"',
    'example.py:38: error: Argument "int_task" to "SampleTask" has incompatible type '
    '"StrTask"; expected "TaskOnKart[int]"  [arg-type]',
]


def test_mypy_ini(tmp_path: Path, cache: Path) -> None:
    config = "[mypy]\nplugins = gokart_core.mypy:plugin\n"
    assert _check(tmp_path, cache, config, "mypy.ini") == PAGE_RESULTS


def test_pyproject_toml(tmp_path: Path, cache: Path) -> None:
    config = '[tool.mypy]\nplugins = ["gokart_core.mypy"]\n'
    assert _check(tmp_path, cache, config, "pyproject.toml") == PAGE_RESULTS


def test_disallow_missing_parameters(tmp_path: Path, cache: Path) -> None:
    config = (
        '[tool.mypy]\nplugins = ["gokart_core.mypy"]\n\n'
        "[tool.gokart-mypy]\ndisallow_missing_parameters = true\n"
    )
    found = _check(tmp_path, cache, config, "pyproject.toml")
    missing = [line for line in found if "Missing" in line]
    assert missing == ['example.py:14: error: Missing named argument "bar" for "Foo"  [call-arg]']
    assert sorted(set(found) - set(missing)) == sorted(PAGE_RESULTS)  # the rest as before
    # Off again: the same cache, no error for it (the option is part of mypy's cache key).
    config = config.replace("true", "false")
    assert _check(tmp_path, cache, config, "pyproject.toml") == PAGE_RESULTS


def test_disallow_missing_parameters_must_be_a_boolean(tmp_path: Path) -> None:
    from gokart_core.mypy import read_options

    config = tmp_path / "pyproject.toml"
    config.write_text('[tool.gokart-mypy]\ndisallow_missing_parameters = "yes"\n')
    with pytest.raises(ValueError, match=r"pyproject.toml.*must be true or false, not 'yes'"):
        read_options(str(config))
    assert read_options(None) == {"disallow_missing_parameters": False}
    assert read_options(str(tmp_path / "mypy.ini")) == {"disallow_missing_parameters": False}
