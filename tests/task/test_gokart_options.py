"""gokart's task options, as its documentation (task_on_kart, task_settings, for_pandas)
describes them: fixed random seeds, ``cache_unique_id``, ``store_index_in_feather``,
``get_info``, ``ExplicitBoolParameter``, ``SerializableParameter[T]``."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import luigi
import numpy as np
import pandas as pd
import pytest
from luigi.cmdline_parser import CmdlineParser

import gokart_core as gokart
import gokart_pandas
import gokart_pickle
from gokart_core.plugin.manager import use_plugin_manager
from gokart_core.task import random_seed
from gokart_core.testing import builtins_only_plugin_manager

from .. import compat_options


class Draws(gokart.TaskOnKart[dict[str, Any]]):
    """Draws from both generators gokart seeds."""

    name: str = luigi.Parameter(default="a")

    def run(self) -> None:
        self.dump({"random": random.random(), "numpy": float(np.random.rand())})


def _seed_log(workspace: Path, task: gokart.TaskOnKart[Any]) -> Any:
    path = workspace / "log" / "random_seed" / f"{type(task).__name__}_{task.make_unique_id()}.pkl"
    return pd.read_pickle(path)


def _draw(seed: int, after: int = 0) -> float:
    """The first ``random.random()`` of a generator seeded with ``seed``, after ``after``
    draws of ``randrange(0, 10**10)`` (what each of gokart's log writes takes: luigi's name of
    its temporary file)."""
    generator = random.Random(seed)
    for _ in range(after):
        generator.randrange(0, 10_000_000_000)
    return generator.random()


def test_random_seeds_follow_the_unique_id_and_are_logged(tmp_path: Path) -> None:
    task = Draws(workspace_directory=str(tmp_path))
    drawn = gokart.build(task)
    seed = int(task.make_unique_id(), 16) % (2**32 - 1)
    np.random.seed(seed)
    assert drawn == {"random": _draw(seed), "numpy": float(np.random.rand())}
    assert _seed_log(tmp_path, task) == {
        "seed": seed,
        "seed_methods": ["random.seed", "numpy.random.seed"],
    }
    # another run of the same parameters draws the same; other parameters draw otherwise
    again = gokart.build(Draws(workspace_directory=str(tmp_path), rerun=True))
    other = gokart.build(Draws(name="b", workspace_directory=str(tmp_path)))
    assert again == drawn
    assert other != drawn


def test_a_fixed_seed_value_and_methods_that_do_not_import(tmp_path: Path) -> None:
    task = Draws(
        name="fixed",
        workspace_directory=str(tmp_path),
        fix_random_seed_value=1234,
        fix_random_seed_methods=["random.seed", "no_such_module.seed", "random.no_such_seed"],
    )
    drawn = gokart.build(task)
    assert drawn["random"] == _draw(1234)
    assert _seed_log(tmp_path, task) == {"seed": 1234, "seed_methods": ["random.seed"]}


def test_no_seed_without_supplementary_logs(tmp_path: Path) -> None:
    random.seed(99)
    expected = random.random()
    random.seed(99)
    off = Draws(name="off", workspace_directory=str(tmp_path))
    gokart.build(off.clone(should_dump_supplementary_log_files=False))
    assert random.random() != expected  # the run drew one: nobody seeded it again
    assert not (tmp_path / "log").exists()


def test_try_set_seed_calls_what_imports() -> None:
    assert random_seed.try_set_seed(["random.seed", "numpy.random.seed", "nope.seed"], 7) == [
        "random.seed",
        "numpy.random.seed",
    ]
    assert np.random.rand() == np.random.RandomState(7).rand()


class CacheDep(gokart.TaskOnKart[str]):
    param: str = luigi.Parameter(default="original")

    def run(self) -> None:
        self.dump(self.param)


class CacheRoot(gokart.TaskOnKart[str]):
    def requires(self) -> Any:
        return CacheDep()

    def run(self) -> None:
        self.dump(self.load())


def _set_default(value: str) -> None:
    param = luigi.Parameter(default=value)
    param.__set_name__(CacheDep, "param")
    CacheDep.param = param  # type: ignore[assignment]


@pytest.mark.parametrize("cache", [True, False])
def test_cache_unique_id(tmp_path: Path, cache: bool) -> None:
    """gokart's own example: the instance luigi keeps for the same parameters keeps its id,
    unless ``cache_unique_id=False``; then an upstream changed since counts."""
    _set_default("original")
    try:
        first = gokart.build(CacheRoot(workspace_directory=str(tmp_path), cache_unique_id=cache))
        _set_default("updated")
        second = gokart.build(CacheRoot(workspace_directory=str(tmp_path), cache_unique_id=cache))
    finally:
        _set_default("original")
    assert first == "original"
    assert second == ("original" if cache else "updated")


class Frame(gokart.TaskOnKart[pd.DataFrame]):
    def output(self) -> Any:
        return self.make_target("frame.feather")

    def run(self) -> None:
        self.dump(pd.DataFrame({"a": [1, 2]}, index=pd.Index([10, 20], name="key")))


@pytest.fixture
def with_pandas() -> Iterator[None]:
    with use_plugin_manager(builtins_only_plugin_manager(gokart_pickle, gokart_pandas)):
        yield


def test_store_index_in_feather(tmp_path: Path, with_pandas: None) -> None:
    """True (gokart's default): the index in a column of gokart's name, restored on load;
    False: the frame goes to pandas' ``to_feather`` as it is."""
    kept_task = Frame(workspace_directory=str(tmp_path / "kept"))
    assert list(gokart.build(kept_task).index) == [10, 20]
    column = "__feather_gokart_index__key"
    assert column in pd.read_feather(kept_task.output().path()).columns
    plain = Frame(workspace_directory=str(tmp_path / "plain"), store_index_in_feather=False)
    gokart.build(plain)
    assert column not in pd.read_feather(plain.output().path()).columns


class Upstream(gokart.TaskOnKart[str]):
    pass


class WithInfo(gokart.TaskOnKart[str]):
    text: str = luigi.Parameter()
    count: int = luigi.IntParameter(significant=False, default=3)
    upstream: gokart.TaskOnKart[str] = gokart.TaskInstanceParameter()


def test_get_info_serializes_parameters_and_names_task_parameters_by_id() -> None:
    up = Upstream()
    task = WithInfo(text="x", upstream=up)
    info = task.get_info()
    assert info["text"] == "x"
    assert info["count"] == "3"
    assert info["upstream"] == f"Upstream-{up.make_unique_id()}"
    assert info["workspace_directory"] == "./resources/"
    significant = task.get_info(only_significant=True)
    assert set(significant) == {"text", "upstream"}


class ExplicitlyParsed(gokart.TaskOnKart[Any]):
    param: bool = gokart.ExplicitBoolParameter()


class ExplicitDefaults(gokart.TaskOnKart[Any]):
    yes: bool = gokart.ExplicitBoolParameter(default=True)
    no: bool = gokart.ExplicitBoolParameter(default=False)


def _parsed(args: list[str]) -> Any:
    with CmdlineParser.global_instance(args) as parser:
        return parser.get_task_obj().param


def test_explicit_bool_parameter_as_gokart_parses_it() -> None:
    assert ExplicitDefaults().yes is True and ExplicitDefaults().no is False
    for value, expected in (("true", True), ("false", False), ("True", True), ("False", False)):
        assert _parsed(["ExplicitlyParsed", "--param", value]) is expected
    with pytest.raises(luigi.parameter.MissingParameterException):
        _parsed(["ExplicitlyParsed"])  # no default: required
    with pytest.raises(ValueError, match="Foo"):
        _parsed(["ExplicitlyParsed", "--param", "Foo"])
    with pytest.raises(SystemExit):
        _parsed(["ExplicitlyParsed", "--param"])  # argparse: expected one argument


class Point:
    def __init__(self, x: int, y: int) -> None:
        self.x, self.y = x, y

    def gokart_serialize(self) -> str:
        return f"{self.x},{self.y}"

    @classmethod
    def gokart_deserialize(cls, s: str) -> Point:
        x, y = s.split(",")
        return cls(int(x), int(y))


class Located(gokart.TaskOnKart[Any]):
    point: Point = gokart.SerializableParameter[Point](object_type=Point)


def test_serializable_parameter_is_generic() -> None:
    task = Located(point=Point(1, 2))
    assert task.to_str_params()["point"] == "1,2"
    with CmdlineParser.global_instance(["Located", "--point", "3,4"]) as parser:
        parsed = parser.get_task_obj()
    assert (parsed.point.x, parsed.point.y) == (3, 4)
    assert parsed.make_unique_id() == Located(point=Point(3, 4)).make_unique_id()


def test_the_options_do_what_gokart_does(tmp_path: Path) -> None:
    """gokart 1.12.2 (PyPI) and gokart_core, each in a process of its own, build the same
    pipelines: the same seed logs, the same files left by ``delete_local_unnecessary_outputs``,
    the same values loaded with ``cache_unique_id``; and the numbers drawn under the seeds."""
    reports = {}
    for impl in ("gokart", "gokart_core"):
        done = subprocess.run(
            [sys.executable, compat_options.__file__, impl, str(tmp_path / impl)],
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        )
        reports[impl] = json.loads(done.stdout.strip().splitlines()[-1])
    ours, theirs = reports["gokart_core"], reports["gokart"]
    assert ours["seeds"] == theirs["seeds"] and len(ours["seeds"]) == 4
    assert ours["leaf_ids"] == theirs["leaf_ids"]
    for uid, (_, mine), (_, gokarts) in zip(ours["leaf_ids"], ours["drawn"], theirs["drawn"]):
        seed = ours["seeds"][os.path.join("log", "random_seed", f"OptLeaf_{uid}.pkl")]["seed"]
        assert mine == _draw(seed)  # run()'s first draw is the seed's first
        # gokart: after one to three log writes, in an order that differs between processes
        assert gokarts in [_draw(seed, after) for after in (1, 2, 3)]
    assert ours["kept"] == theirs["kept"]
    assert len([f for f in ours["kept"] if not f.startswith("log")]) == 2  # n=2's outputs
    assert (
        ours["cached"]
        == theirs["cached"]
        == {
            "True": ["original", "original"],
            "False": ["original", "updated"],
        }
    )


def test_numpy_is_seeded_when_imported_not_before(tmp_path: Path) -> None:
    """A build whose tasks use no numpy does not import it to seed it; a run() that imports
    numpy draws what numpy seeded with the task's logged seed gives."""
    script = f"""
import json, pickle, sys
from pathlib import Path
import gokart_core as gokart

class NoNumpy(gokart.TaskOnKart):
    def run(self):
        self.dump(1)

class ImportsNumpy(gokart.TaskOnKart):
    def run(self):
        import numpy
        self.dump(float(numpy.random.rand()))

workspace = {str(tmp_path)!r}
assert gokart.build(NoNumpy(workspace_directory=workspace), reset_register=False) == 1
untouched = "numpy" not in sys.modules
task = ImportsNumpy(workspace_directory=workspace)
drawn = gokart.build(task, reset_register=False)
log = Path(workspace, "log", "random_seed", f"ImportsNumpy_{{task.make_unique_id()}}.pkl")
print(json.dumps({{"untouched": untouched, "drawn": drawn, "log": pickle.loads(log.read_bytes())}}))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["untouched"] is True
    assert result["log"]["seed_methods"] == ["random.seed", "numpy.random.seed"]
    np.random.seed(result["log"]["seed"])
    assert result["drawn"] == float(np.random.rand())


def test_forked_children_seed_numpy_when_their_run_imports_it(tmp_path: Path) -> None:
    """With ``workers=2`` luigi forks a child per task: a parent that never imports numpy
    leaves each child to seed it on import, with that child's task's seed."""
    script = f"""
import json, pickle, sys
from pathlib import Path
import luigi
import gokart_core as gokart

class Draw(gokart.TaskOnKart):
    i = luigi.IntParameter()
    def run(self):
        import numpy
        self.dump(float(numpy.random.rand()))

workspace = {str(tmp_path)!r}
tasks = [Draw(i=i, workspace_directory=workspace) for i in range(4)]
assert luigi.build(tasks, workers=2, local_scheduler=True)
seeds = [
    pickle.loads(Path(workspace, "log", "random_seed", f"Draw_{{t.make_unique_id()}}.pkl")
                 .read_bytes())["seed"]
    for t in tasks
]
print(json.dumps({{"parent_imported": "numpy" in sys.modules, "seeds": seeds,
                   "drawn": [t.output().load() for t in tasks]}}))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=300
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["parent_imported"] is False
    expected = []
    for seed in result["seeds"]:
        np.random.seed(seed)
        expected.append(float(np.random.rand()))
    assert result["drawn"] == expected
    assert len(set(result["drawn"])) == 4  # four tasks, four seeds
