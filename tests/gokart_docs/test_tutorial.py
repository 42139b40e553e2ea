"""gokart docs, *Tutorial* (tutorial.rst).

Covered, on a project laid out as the page's (``main.py``, ``conf/``, the package
``gokart_example`` with ``model/sample.py`` and ``utils/template.py``, ``test/unit_test/``),
written here since cookiecutter-gokart is not fetched: ``python main.py gokart_example.Sample
--local-scheduler`` (the output and the five logs under ``resources/``, with the page's unique
id of Sample, the output unpickled by hand); the unit tests run by ``python -m unittest
discover``; ``Main`` and ``StringToSplit`` added (Sample found complete, the two others run, as
luigi's summary says; ``['sample', 'output']``); rerunning, with ``rerun=True`` (the same file
names) or with a new ``version`` parameter of Sample (new names for Sample and StringToSplit).

The page's StringToSplit id comes from an older gokart; gokart 1.12.2 names it as gokart-core
does (423a87c3...). ``GokartTask`` of the project template is a TaskOnKart of namespace
``gokart_example``, which is what makes ``gokart_example.Sample`` the task's name.
Not covered: cookiecutter, poetry and docker.
"""

from __future__ import annotations

import pickle
import textwrap
from pathlib import Path

from . import files_under, run_script

MAIN = """\
import gokart_core as gokart

import gokart_example  # noqa: F401 - the tasks

if __name__ == '__main__':
    gokart.add_config('./conf/param.ini')
    gokart.run()
"""

TEMPLATE = """\
import gokart_core as gokart


class GokartTask(gokart.TaskOnKart):
    task_namespace = 'gokart_example'
"""

SAMPLE_ONLY = """\
from gokart_example.utils.template import GokartTask


class Sample(GokartTask):
    def run(self):
        self.dump('sample output')
"""

TASKS = """\
from logging import getLogger

import luigi

import gokart_core as gokart
from gokart_example.utils.template import GokartTask

logger = getLogger(__name__)


class Sample(GokartTask):
{sample}

class StringToSplit(GokartTask):
    '''Splits what the task it is given dumped, by spaces.'''
    task: gokart.TaskInstanceParameter = gokart.TaskInstanceParameter()

    def run(self):
        sample = self.load('task')
        self.dump(sample.split(' '))


class Main(GokartTask):
    '''Endpoint task.'''
{main}
"""

SAMPLE = """\
    def run(self):
        self.dump('sample output')
"""

SAMPLE_VERSIONED = """\
    version: luigi.IntParameter = luigi.IntParameter(default=1)

    def run(self):
        self.dump(f'sample output version {self.version}')
"""

MAIN_TASK = """\
    def requires(self):
        return StringToSplit(task=Sample())
"""

MAIN_RERUN = """\
    rerun = True

    def requires(self):
        return StringToSplit(task=Sample(rerun=True), rerun=True)
"""

UNIT_TEST = """\
import os
import tempfile
import unittest

import gokart_core as gokart
from gokart_example.model.sample import Sample


class TestSample(unittest.TestCase):
    def test_sample(self):
        with tempfile.TemporaryDirectory() as workspace:
            self.assertEqual(gokart.build(Sample(workspace_directory=workspace)), 'sample output')
"""

SAMPLE_ID = "cdf55a3d6c255d8c191f5f472da61f99"  # the page's


def _project(root: Path, sample_module: str) -> None:
    (root / "conf").mkdir(parents=True, exist_ok=True)
    (root / "conf" / "param.ini").write_text("")
    package = root / "gokart_example"
    (package / "model").mkdir(parents=True, exist_ok=True)
    (package / "utils").mkdir(exist_ok=True)
    (package / "__init__.py").write_text("from gokart_example.model import sample  # noqa: F401\n")
    (package / "model" / "__init__.py").write_text("")
    (package / "utils" / "template.py").write_text(TEMPLATE)
    (package / "model" / "sample.py").write_text(textwrap.dedent(sample_module))
    (root / "test" / "unit_test").mkdir(parents=True, exist_ok=True)
    (root / "test" / "__init__.py").write_text("")
    (root / "test" / "unit_test" / "test_sample.py").write_text(UNIT_TEST)


def _load(path: Path) -> object:
    with open(path, "rb") as f:
        return pickle.load(f)


def _outputs(root: Path) -> list[str]:
    return [n for n in files_under(root / "resources") if not n.startswith("log/")]


def test_the_tutorial(tmp_path: Path) -> None:
    _project(tmp_path, SAMPLE_ONLY)
    done = run_script(tmp_path, MAIN, "gokart_example.Sample", "--local-scheduler")
    assert done.returncode == 0, done.stderr[-3000:]
    sample_output = f"gokart_example/model/sample/Sample_{SAMPLE_ID}.pkl"
    assert files_under(tmp_path / "resources") == sorted(
        [sample_output]
        + [
            f"log/{log}/Sample_{SAMPLE_ID}.{'txt' if log == 'module_versions' else 'pkl'}"
            for log in (
                "module_versions",
                "processing_time",
                "random_seed",
                "task_log",
                "task_params",
            )
        ]
    )
    assert _load(tmp_path / "resources" / sample_output) == "sample output"

    # 4, the unit tests
    tests = run_script(
        tmp_path, "", "-m", "unittest", "discover", "-s", "./test/unit_test/", name=None
    )
    assert tests.returncode == 0, tests.stderr[-3000:]
    assert "Ran 1 test" in tests.stderr and tests.stderr.rstrip().endswith("OK")

    # 5, Main and StringToSplit
    _project(tmp_path, TASKS.format(sample=SAMPLE, main=MAIN_TASK))
    done = run_script(tmp_path, MAIN, "gokart_example.Main", "--local-scheduler")
    assert done.returncode == 0, done.stderr[-3000:]
    summary = done.stderr[done.stderr.index("Scheduled 3 tasks") :]
    assert "* 1 complete ones were encountered:\n    - 1 gokart_example.Sample(...)" in summary
    assert (
        "* 2 ran successfully:\n    - 1 gokart_example.Main(...)\n"
        "    - 1 gokart_example.StringToSplit(...)" in summary
    )
    outputs = _outputs(tmp_path)
    split = [n for n in outputs if "StringToSplit_" in n]
    assert len(split) == 1 and split[0].startswith("gokart_example/model/sample/")
    assert _load(tmp_path / "resources" / split[0]) == ["sample", "output"]

    # 6, rerun: the same names
    _project(tmp_path, TASKS.format(sample=SAMPLE, main=MAIN_RERUN))
    done = run_script(tmp_path, MAIN, "gokart_example.Main", "--local-scheduler")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "* 3 ran successfully:" in done.stderr
    assert _outputs(tmp_path) == outputs

    # ... or a new parameter: new names for Sample and StringToSplit
    _project(tmp_path, TASKS.format(sample=SAMPLE_VERSIONED, main=MAIN_TASK))
    done = run_script(tmp_path, MAIN, "gokart_example.Main", "--local-scheduler")
    assert done.returncode == 0, done.stderr[-3000:]
    new = sorted(set(_outputs(tmp_path)) - set(outputs))
    assert [n.rsplit("/", 1)[1].split("_")[0] for n in new] == ["Sample", "StringToSplit"]
    split_new = next(n for n in new if "StringToSplit_" in n)
    assert _load(tmp_path / "resources" / split_new) == ["sample", "output", "version", "1"]
