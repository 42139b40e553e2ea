"""A task's code in its unique id: ``serialized_task_definition_check`` and ``code_version``.

Code edits are simulated with real modules: each version of a pipeline's source is written to
its own file in tmp_path and imported, so ``inspect`` reads what Python really loaded. The
classes keep their names across versions (the id hashes the class name, not the module), so
two versions differ in their code only.
"""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import linecache
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import luigi
import luigi.configuration
import pytest

import gokart_core as gokart

PIPELINE = """
import luigi
import gokart_core as gokart


class Helper(gokart.TaskOnKart):
    def scale(self):
        return 2


class Up(gokart.TaskOnKart):
    n = luigi.IntParameter(default=1)

    def output(self):
        return self.make_target("up.pkl")

    def run(self):
        self.dump(self.n + 1)


class Down(Helper):
    def requires(self):
        return Up(workspace_directory=self.workspace_directory)

    def output(self):
        return self.make_target("down.pkl")

    def run(self):
        self.dump(self.load() * self.scale())


def make_nested():
    class Nested(gokart.TaskOnKart):
        def run(self):
            self.dump([1, 2])

    return Nested
"""

#: PIPELINE with the same behaviour: other layout, quotes, comments, docstrings, string
#: statements, redundant parentheses.
PIPELINE_REFORMATTED = """
# a comment before everything
import luigi
import gokart_core as gokart


class Helper(gokart.TaskOnKart):
    '''Scales things.'''
    def scale(self):
        "The factor."
        return (2)


class Up(gokart.TaskOnKart):
    \"\"\"The upstream task.

    With a long docstring.
    \"\"\"

    n = luigi.IntParameter(
        default=1,  # a trailing comment
    )
    "An attribute docstring."

    def output(self):
        return self.make_target('up.pkl')

    def run(self):
        # a comment in the body
        self.dump(
            self.n
            + 1
        )


class Down(Helper):
    def requires(self):
        '''Only a docstring differs here.'''
        return Up(workspace_directory=self.workspace_directory)
    def output(self):
        return self.make_target("down.pkl")
    def run(self):
        self.dump(self.load() * self.scale())  # comment


def make_nested():
    class Nested(gokart.TaskOnKart):
        def run(self):
            '''Nested docstring.'''
            self.dump([1,2,])

    return Nested
"""

_counter = itertools.count()


@pytest.fixture
def load_module(tmp_path: Path) -> Iterator[Callable[[str], ModuleType]]:
    """Import a source as a new module from its own file in tmp_path."""
    names: list[str] = []

    def load(source: str) -> ModuleType:
        name = f"_gokart_code_version_{next(_counter)}"
        path = tmp_path / f"{name}.py"
        path.write_text(textwrap.dedent(source))
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # inspect finds a class's file through sys.modules
        names.append(name)
        spec.loader.exec_module(module)
        return module

    yield load
    for name in names:
        sys.modules.pop(name, None)


@pytest.fixture
def definition_check() -> Iterator[None]:
    """Turn the check on for every task through ``[TaskOnKart]``, as an application would."""
    config = luigi.configuration.get_config()
    had_section = config.has_section("TaskOnKart")
    config.set("TaskOnKart", "serialized_task_definition_check", "true")
    yield
    config.remove_option("TaskOnKart", "serialized_task_definition_check")
    if not had_section and not config.options("TaskOnKart"):
        config.remove_section("TaskOnKart")


def ids(module: ModuleType) -> dict[str, str]:
    return {
        "Up": module.Up().make_unique_id(),
        "Down": module.Down().make_unique_id(),
        "Nested": module.make_nested()().make_unique_id(),
    }


def gokart_id(dep_ids: list[str], class_name: str, params: dict[str, str] | None = None) -> str:
    """gokart's formula, written out (see test_unique_id.py)."""
    payload: list[Any] = [*dep_ids, params or {}, class_name]
    return hashlib.md5(str(payload).encode()).hexdigest()


# ------------------------------------------------------------- serialized_task_definition_check


@pytest.mark.usefixtures("definition_check")
def test_formatting_comments_and_docstrings_keep_the_ids(
    load_module: Callable[[str], ModuleType],
) -> None:
    base = load_module(PIPELINE)
    assert base.Up().serialized_task_definition_check is True
    assert ids(load_module(PIPELINE_REFORMATTED)) == ids(base)


@pytest.mark.usefixtures("definition_check")
@pytest.mark.parametrize(
    ("old", "new", "changed"),
    [
        pytest.param("self.n + 1", "self.n + 2", {"Up", "Down"}, id="constant-upstream"),
        pytest.param("self.n + 1", "self.n - 1", {"Up", "Down"}, id="operator-upstream"),
        pytest.param('"up.pkl"', '"up2.pkl"', {"Up", "Down"}, id="string-value-upstream"),
        pytest.param("* self.scale()", "+ self.scale()", {"Down"}, id="operator-downstream"),
        pytest.param("return 2", "return 3", {"Down"}, id="inherited-method"),
        pytest.param("[1, 2]", "[2, 1]", {"Nested"}, id="class-nested-in-a-function"),
        pytest.param(
            '    def output(self):\n        return self.make_target("down.pkl")',
            "    @property\n    def extra(self):\n        return 0\n\n"
            '    def output(self):\n        return self.make_target("down.pkl")',
            {"Down"},
            id="added-method-with-decorator",
        ),
    ],
)
def test_a_change_of_behaviour_changes_the_ids(
    load_module: Callable[[str], ModuleType], old: str, new: str, changed: set[str]
) -> None:
    assert PIPELINE.count(old) == 1
    before = ids(load_module(PIPELINE))
    after = ids(load_module(PIPELINE.replace(old, new)))
    # "Down" changes with "Up" through the id of its dependency only: its own code is the same.
    assert {name for name in before if before[name] != after[name]} == changed


def test_upstream_code_reaches_dependents_through_the_dependency_chain(
    load_module: Callable[[str], ModuleType],
) -> None:
    """A dependent's id holds its upstream's id, and that holds the upstream's code: the
    dependent's id changes with the upstream's code even when its own check is off."""
    unchecked: list[str] = []
    for source in (PIPELINE, PIPELINE.replace("self.n + 1", "self.n * 7")):
        module = load_module(source)
        up = module.Up(serialized_task_definition_check=True)
        down = module.Down(serialized_task_definition_check=False)
        down.requires = lambda up=up: up  # the same Down, requiring the checked Up
        unchecked.append(down.make_unique_id())
        assert unchecked[-1] == gokart_id([up.make_unique_id()], "Down")
    assert unchecked[0] != unchecked[1]


def test_without_the_check_ids_are_gokarts_whatever_the_code(
    load_module: Callable[[str], ModuleType],
) -> None:
    for source in (PIPELINE, PIPELINE_REFORMATTED, PIPELINE.replace("self.n + 1", "0")):
        got = ids(load_module(source))
        up = gokart_id([], "Up", {"n": "1"})
        assert got == {"Up": up, "Down": gokart_id([up], "Down"), "Nested": gokart_id([], "Nested")}


@pytest.mark.usefixtures("definition_check")
def test_a_build_reruns_after_a_code_change_only(
    load_module: Callable[[str], ModuleType], tmp_path: Path
) -> None:
    workspace = tmp_path / "ws"

    def build(source: str) -> Any:
        return gokart.build(load_module(source).Down(workspace_directory=str(workspace)))

    def outputs() -> dict[str, float]:
        return {p.name: p.stat().st_mtime_ns for p in workspace.glob("*.pkl")}

    assert build(PIPELINE) == 4
    first = outputs()
    assert len(first) == 2
    assert build(PIPELINE_REFORMATTED) == 4  # cached: nothing ran
    assert outputs() == first
    assert build(PIPELINE.replace("self.n + 1", "self.n + 2")) == 6
    after = outputs()
    assert len(after) == 4 and all(after[name] == mtime for name, mtime in first.items())


@pytest.mark.usefixtures("definition_check")
def test_the_source_is_read_once_per_class(
    load_module: Callable[[str], ModuleType], tmp_path: Path
) -> None:
    module = load_module(PIPELINE)
    first = module.Up(n=1).make_unique_id()
    assert module.__file__ is not None
    Path(module.__file__).unlink()
    linecache.clearcache()
    # Other instances of a class already hashed need no source...
    assert module.Up(n=2).make_unique_id() not in (first, "")
    # ... while a class never hashed has to read it, and now cannot.
    with pytest.raises(gokart.TaskDefinitionError, match=r"_gokart_code_version_\d+\.Helper"):
        module.Helper().make_unique_id()


def test_a_class_without_source_is_an_error_naming_it(
    load_module: Callable[[str], ModuleType],
) -> None:
    namespace: dict[str, Any] = {"__name__": "interactive_session"}
    exec("import gokart_core as gokart\nclass Typed(gokart.TaskOnKart):\n    pass\n", namespace)
    typed = namespace["Typed"]
    assert typed().make_unique_id() == gokart_id([], "Typed")  # the check is off: no source read
    with pytest.raises(gokart.TaskDefinitionError, match=r"class interactive_session\.Typed"):
        typed(serialized_task_definition_check=True).make_unique_id()

    module = load_module(PIPELINE)
    made = type("Made", (gokart.TaskOnKart,), {"__module__": module.__name__})
    with pytest.raises(gokart.TaskDefinitionError, match=r"\.Made.*code_version"):
        made(serialized_task_definition_check=True).make_unique_id()


# -------------------------------------------------------------------------------- code_version


def versioned(version: Any) -> type[gokart.TaskOnKart[int]]:
    """A fresh class named ``Versioned`` with the given ``code_version``."""

    class Versioned(gokart.TaskOnKart[int]):
        code_version = version
        n: int = luigi.IntParameter(default=1)

    return Versioned


class Consumer(gokart.TaskOnKart[int]):
    up: gokart.TaskOnKart[int] = gokart.TaskInstanceParameter()


def test_code_version_enters_the_id() -> None:
    unset = versioned(None)().make_unique_id()
    assert unset == gokart_id([], "Versioned", {"n": "1"})
    v2 = versioned("2")().make_unique_id()
    assert (
        v2
        == hashlib.md5(str([{"n": "1"}, "Versioned", {"code_version": "2"}]).encode()).hexdigest()
    )
    assert versioned("2")().make_unique_id() == v2  # another class object, same code version
    assert (
        len({unset, v2, versioned("3")().make_unique_id(), versioned("")().make_unique_id()}) == 4
    )


def test_code_version_reaches_dependents_and_subclasses() -> None:
    consumers = {Consumer(up=versioned(v)()).make_unique_id() for v in (None, "2", "3")}
    assert len(consumers) == 3

    def child(version: str | None) -> str:
        class Child(versioned(version)):  # type: ignore[misc]
            pass

        return Child().make_unique_id()

    assert child("2") != child(None) == gokart_id([], "Child", {"n": "1"})


def test_code_version_must_be_a_string() -> None:
    with pytest.raises(TypeError, match=r"test_code_version\.versioned\.<locals>\.Versioned"):
        versioned(2)().make_unique_id()


@pytest.mark.parametrize(
    "parameter", [luigi.Parameter(default="1"), luigi.IntParameter(default=1)], ids=["str", "int"]
)
def test_a_parameter_named_code_version_is_a_parameter_as_in_gokart(parameter: Any) -> None:
    """gokart tasks may already have a parameter of that name: its value is in the significant
    parameters, once, and the id stays gokart's."""

    class WithParameter(gokart.TaskOnKart[int]):
        code_version = parameter

    task = WithParameter()
    assert task.make_unique_id() == gokart_id([], "WithParameter", {"code_version": "1"})
