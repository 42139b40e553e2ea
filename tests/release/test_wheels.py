"""The wheels of ``nox -s build``, alone: gokart-core and two plugins installed from them into a
fresh virtualenv (their other dependencies from PyPI) run the README's tour.

The ``build`` session runs this after building, with ``GOKART_DIST_DIR`` naming its ``dist/``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import tomllib

from .venvs import ROOT, code_blocks, make_venv

DIST_DIR_ENV = "GOKART_DIST_DIR"
pytestmark = pytest.mark.skipif(
    DIST_DIR_ENV not in os.environ, reason="needs the wheels: run by nox -s build after building"
)

#: What the README's tour needs: pickle for its outputs, text for the module-version logs.
TOUR_DISTRIBUTIONS = ("gokart-core", "gokart-pickle", "gokart-text")


def projects() -> dict[str, str]:
    """Name -> version of every distribution in the repository."""
    folders = [ROOT, *sorted((ROOT / "plugins").iterdir()), ROOT / "examples" / "gokart-yaml"]
    found = {}
    for folder in folders:
        if (folder / "pyproject.toml").exists():
            project = tomllib.loads((folder / "pyproject.toml").read_text())["project"]
            found[project["name"]] = project["version"]
    return found


def dist_dir() -> Path:
    return Path(os.environ[DIST_DIR_ENV]).resolve()


def wheel(name: str) -> Path:
    return dist_dir() / f"{name.replace('-', '_')}-{projects()[name]}-py3-none-any.whl"


def readme_tour() -> str:
    """The first Python block of the README's section "A tour of the API"."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## A tour of the API\n", 1)[1].split("\n## ", 1)[0]
    return next(body for info, body in code_blocks(section) if info == "python")


def test_every_distribution_has_an_sdist_and_a_wheel() -> None:
    built = {path.name for path in dist_dir().iterdir()}
    expected = set()
    for name, version in projects().items():
        stem = f"{name.replace('-', '_')}-{version}"
        expected |= {f"{stem}.tar.gz", f"{stem}-py3-none-any.whl"}
    assert len(projects()) >= 14  # core, twelve plugins, the example plugin
    assert built == expected


CHECK_ORIGIN = """
import importlib.metadata, json, sys
import gokart_core
print(json.dumps({
    "core": gokart_core.__file__,
    "urls": {n: json.loads(importlib.metadata.distribution(n).read_text("direct_url.json"))["url"]
             for n in sys.argv[1:]},
}))
"""

MISSING_PLUGIN = """
import gokart_core as gokart
try:
    gokart.make_target("out.xml")
except gokart.UnknownFormatError as exc:
    print(exc)
"""


@pytest.mark.slow
def test_core_and_two_plugins_from_their_wheels_run_the_readme_tour(tmp_path: Path) -> None:
    venv = make_venv(tmp_path / "venv")
    venv.pip_install(*(wheel(name) for name in TOUR_DISTRIBUTIONS), cwd=tmp_path)
    origin = json.loads(venv.run("-c", CHECK_ORIGIN, *TOUR_DISTRIBUTIONS, cwd=tmp_path).stdout)
    assert Path(origin["core"]).is_relative_to(venv.path)
    assert origin["urls"] == {name: wheel(name).as_uri() for name in TOUR_DISTRIBUTIONS}

    run = tmp_path / "run"
    run.mkdir()
    (run / "tour.py").write_text(readme_tour(), encoding="utf-8")
    assert venv.run("tour.py", cwd=run).stdout == "['some text', 'more text']\n"
    resources = run / "resources"
    assert len(list(resources.glob("basic_task_*.pkl"))) == 1  # gokart-pickle
    assert len(list(resources.glob("log/module_versions/BasicTask_*.txt"))) == 1  # gokart-text

    hint = venv.run("-c", MISSING_PLUGIN, cwd=run).stdout
    assert re.search(
        r"pip install gokart-xml \(not on PyPI yet: pip install "
        r'"gokart-xml @ git\+\S+#subdirectory=plugins/gokart-xml", '
        r"or its wheel from nox -s build\)",
        hint,
    ), hint
