"""Unique ids of tasks: gokart's formula, recomputed independently here, and output naming.

gokart's unique id is
``md5(str(dep_ids + [significant str params, ClassName]).encode()).hexdigest()`` where ``dep_ids``
walks ``luigi.task.flatten(task.requires())`` in order: a TaskOnKart with ``significant=True``
contributes its own unique id, one with ``significant=False`` nothing, and a plain luigi task its
significant str params. ``expected_unique_id`` below computes that without calling
``make_unique_id`` or ``to_str_params``, so that caches written by gokart keep their names.
"""

from __future__ import annotations

import datetime
import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import luigi
import luigi.task
import luigi.task_register
import pytest

import gokart_core as gokart

# --------------------------------------------------------------------------- independent formula


def significant_str_params(task: luigi.Task) -> dict[str, str]:
    """The significant parameters, serialized, in ``get_params`` order (no ``to_str_params``)."""
    return {
        name: param.serialize(task.param_kwargs[name])
        for name, param in task.get_params()
        if param.significant
    }


def expected_unique_id(task: gokart.TaskOnKart[Any]) -> str:
    """gokart's unique id, computed from scratch (recursively for upstream tasks)."""
    dep_ids: list[Any] = []
    for dep in luigi.task.flatten(task.requires()):
        if isinstance(dep, gokart.TaskOnKart):
            if dep.significant:
                dep_ids.append(expected_unique_id(dep))
        else:
            dep_ids.append(significant_str_params(dep))
    payload = [*dep_ids, significant_str_params(task), type(task).__name__]
    return hashlib.md5(str(payload).encode()).hexdigest()


@pytest.fixture(autouse=True)
def _fresh_instances() -> None:
    """luigi caches task instances by parameters; tests that mutate one must not share it."""
    luigi.task_register.Register.clear_instance_cache()


# ------------------------------------------------------------------------------ task definitions


class UidNoParams(gokart.TaskOnKart[Any]):
    pass


class UidStr(gokart.TaskOnKart[Any]):
    name = luigi.Parameter()


class UidInt(gokart.TaskOnKart[Any]):
    n = luigi.IntParameter()


class UidFloat(gokart.TaskOnKart[Any]):
    x = luigi.FloatParameter()


class UidBool(gokart.TaskOnKart[Any]):
    flag = luigi.BoolParameter()


class UidDate(gokart.TaskOnKart[Any]):
    day = luigi.DateParameter()


class UidList(gokart.TaskOnKart[Any]):
    items = luigi.ListParameter()


class UidDict(gokart.TaskOnKart[Any]):
    mapping = luigi.DictParameter()


class UidMixed(gokart.TaskOnKart[Any]):
    """Every parameter type, defaults included, plus an insignificant one."""

    name = luigi.Parameter(default="abc")
    n = luigi.IntParameter(default=3)
    x = luigi.FloatParameter(default=1.5)
    flag = luigi.BoolParameter(default=False)
    day = luigi.DateParameter(default=datetime.date(2024, 1, 2))
    items = luigi.ListParameter(default=[1, "a", [2, 3]])
    mapping = luigi.DictParameter(default={"b": 1, "a": [1, 2]})
    note = luigi.Parameter(default="", significant=False)


class UidPlainDep(luigi.Task):
    """A plain luigi task: contributes its significant params to the ids of its dependents."""

    p = luigi.IntParameter(default=1)
    label = luigi.Parameter(default="plain")
    comment = luigi.Parameter(default="", significant=False)


class UidSingleReq(gokart.TaskOnKart[Any]):
    """requires() returns one task. ``upstream_name`` is insignificant: only the upstream's
    unique id can change this task's id."""

    upstream_name = luigi.Parameter(default="up", significant=False)
    k = luigi.IntParameter(default=0)

    def requires(self) -> Any:
        return UidStr(name=self.upstream_name, workspace_directory=self.workspace_directory)


class UidListReq(gokart.TaskOnKart[Any]):
    def requires(self) -> Any:
        return [
            UidInt(n=7, workspace_directory=self.workspace_directory),
            UidFloat(x=0.25, workspace_directory=self.workspace_directory),
            UidNoParams(workspace_directory=self.workspace_directory),
        ]


class UidDictReq(gokart.TaskOnKart[Any]):
    tag = luigi.Parameter(default="d")

    def requires(self) -> Any:
        return {
            "b": UidBool(flag=True, workspace_directory=self.workspace_directory),
            "a": UidDate(
                day=datetime.date(2020, 2, 29), workspace_directory=self.workspace_directory
            ),
            "c": [
                UidList(items=[1, 2], workspace_directory=self.workspace_directory),
                UidDict(mapping={"k": "v"}, workspace_directory=self.workspace_directory),
            ],
        }


class UidPlainReq(gokart.TaskOnKart[Any]):
    plain_p = luigi.IntParameter(default=1, significant=False)
    plain_comment = luigi.Parameter(default="", significant=False)

    def requires(self) -> Any:
        return UidPlainDep(p=self.plain_p, comment=self.plain_comment)


class UidInsignificantUpstreamReq(gokart.TaskOnKart[Any]):
    """The first upstream task is ``significant=False``: it contributes nothing."""

    hidden_name = luigi.Parameter(default="hidden", significant=False)

    def requires(self) -> Any:
        return [
            UidStr(
                name=self.hidden_name,
                significant=False,
                workspace_directory=self.workspace_directory,
            ),
            UidInt(n=11, workspace_directory=self.workspace_directory),
        ]


class UidOnlyInsignificantUpstream(gokart.TaskOnKart[Any]):
    def requires(self) -> Any:
        return UidInt(n=5, significant=False, workspace_directory=self.workspace_directory)


class UidNested(gokart.TaskOnKart[Any]):
    """Three levels deep, with every kind of dependency."""

    upstream_name = luigi.Parameter(default="up", significant=False)
    level = luigi.IntParameter(default=3)

    def requires(self) -> Any:
        ws = self.workspace_directory
        return {
            "single": UidSingleReq(upstream_name=self.upstream_name, workspace_directory=ws),
            "many": [UidListReq(workspace_directory=ws), UidDictReq(workspace_directory=ws)],
            "plain": UidPlainReq(workspace_directory=ws),
            "mixed": UidMixed(workspace_directory=ws),
        }


class UidMutableReq(gokart.TaskOnKart[Any]):
    """requires() returns whatever ``_deps`` holds (set from the test after construction)."""

    def requires(self) -> Any:
        return getattr(self, "_deps", [])


class UidNamedOutput(gokart.TaskOnKart[Any]):
    v = luigi.IntParameter(default=1)

    def output(self) -> Any:
        return self.make_target("basic_task.pkl")


class UidDefaultOutput(gokart.TaskOnKart[Any]):
    v = luigi.IntParameter(default=1)

    def output(self) -> Any:
        return self.make_target()


class UidSameName(gokart.TaskOnKart[Any]):
    """Same significant params as UidStr: the class name must still separate the ids."""

    name = luigi.Parameter()


TASK_FACTORIES: dict[str, Callable[[str], gokart.TaskOnKart[Any]]] = {
    "no_params": lambda ws: UidNoParams(workspace_directory=ws),
    "str": lambda ws: UidStr(name="hello world", workspace_directory=ws),
    "str_unicode": lambda ws: UidStr(name="日本語 'quoted' \"dq\"", workspace_directory=ws),
    "int": lambda ws: UidInt(n=-42, workspace_directory=ws),
    "float": lambda ws: UidFloat(x=3.14159, workspace_directory=ws),
    "bool_true": lambda ws: UidBool(flag=True, workspace_directory=ws),
    "bool_false": lambda ws: UidBool(flag=False, workspace_directory=ws),
    "date": lambda ws: UidDate(day=datetime.date(1999, 12, 31), workspace_directory=ws),
    "list": lambda ws: UidList(items=[3, "x", [1.5, None], {"k": 1}], workspace_directory=ws),
    "dict": lambda ws: UidDict(mapping={"z": 1, "a": {"nested": [1, 2]}}, workspace_directory=ws),
    "mixed_defaults": lambda ws: UidMixed(workspace_directory=ws),
    "mixed_explicit": lambda ws: UidMixed(
        name="n",
        n=0,
        x=-0.5,
        flag=True,
        day=datetime.date(2000, 1, 1),
        items=[],
        mapping={},
        note="ignored",
        workspace_directory=ws,
    ),
    "requires_single": lambda ws: UidSingleReq(workspace_directory=ws),
    "requires_list": lambda ws: UidListReq(workspace_directory=ws),
    "requires_dict": lambda ws: UidDictReq(workspace_directory=ws),
    "requires_plain_luigi": lambda ws: UidPlainReq(workspace_directory=ws),
    "requires_insignificant_upstream": lambda ws: UidInsignificantUpstreamReq(
        workspace_directory=ws
    ),
    "requires_only_insignificant_upstream": lambda ws: UidOnlyInsignificantUpstream(
        workspace_directory=ws
    ),
    "requires_nested": lambda ws: UidNested(workspace_directory=ws),
    "same_params_other_class": lambda ws: UidSameName(name="hello world", workspace_directory=ws),
}


@pytest.fixture
def ws(tmp_path: Path) -> str:
    return str(tmp_path)


# ------------------------------------------------------------------------------------- the formula


@pytest.mark.parametrize("key", list(TASK_FACTORIES))
def test_unique_id_matches_gokart_formula(key: str, ws: str) -> None:
    task = TASK_FACTORIES[key](ws)
    expected = expected_unique_id(task)
    assert task.make_unique_id() == expected
    assert len(expected) == 32 and int(expected, 16) >= 0


@pytest.mark.parametrize("key", list(TASK_FACTORIES))
def test_independent_str_params_equal_to_str_params(key: str, ws: str) -> None:
    task = TASK_FACTORIES[key](ws)
    ours = significant_str_params(task)
    theirs = task.to_str_params(only_significant=True)
    assert theirs == ours
    # The order enters the hash through str(dict): it must match too.
    assert list(theirs) == list(ours)
    assert str(theirs) == str(ours)


def test_str_params_of_every_parameter_type(ws: str) -> None:
    """Anchor the serialization itself: the values that enter the hash, written out."""
    task = UidMixed(workspace_directory=ws, note="x")
    assert significant_str_params(task) == {
        "name": "abc",
        "n": "3",
        "x": "1.5",
        "flag": "False",
        "day": "2024-01-02",
        "items": '[1, "a", [2, 3]]',
        "mapping": '{"b": 1, "a": [1, 2]}',
    }


def test_no_params_task_hashes_empty_dict_and_class_name(ws: str) -> None:
    task = UidNoParams(workspace_directory=ws)
    expected = hashlib.md5(str([{}, "UidNoParams"]).encode()).hexdigest()
    assert task.make_unique_id() == expected


def test_class_name_enters_the_id(ws: str) -> None:
    a = UidStr(name="same", workspace_directory=ws)
    b = UidSameName(name="same", workspace_directory=ws)
    assert significant_str_params(a) == significant_str_params(b)
    assert a.make_unique_id() != b.make_unique_id()


def test_plain_luigi_dependency_contributes_its_str_params(ws: str) -> None:
    task = UidPlainReq(workspace_directory=ws)
    plain = task.requires()
    payload = [{"p": "1", "label": "plain"}, {}, "UidPlainReq"]
    assert significant_str_params(plain) == {"p": "1", "label": "plain"}
    assert task.make_unique_id() == hashlib.md5(str(payload).encode()).hexdigest()


def test_dependency_order_follows_flatten(ws: str) -> None:
    """A dict requires() is walked in insertion order (luigi.task.flatten), not sorted."""
    task = UidDictReq(workspace_directory=ws)
    deps = luigi.task.flatten(task.requires())
    assert [type(d).__name__ for d in deps] == ["UidBool", "UidDate", "UidList", "UidDict"]
    payload = [expected_unique_id(d) for d in deps] + [{"tag": "d"}, "UidDictReq"]
    assert task.make_unique_id() == hashlib.md5(str(payload).encode()).hexdigest()


def test_insignificant_upstream_contributes_nothing(ws: str) -> None:
    task = UidInsignificantUpstreamReq(workspace_directory=ws)
    significant_dep = UidInt(n=11, workspace_directory=ws)
    payload = [expected_unique_id(significant_dep), {}, "UidInsignificantUpstreamReq"]
    assert task.make_unique_id() == hashlib.md5(str(payload).encode()).hexdigest()

    only = UidOnlyInsignificantUpstream(workspace_directory=ws)
    payload = [{}, "UidOnlyInsignificantUpstream"]
    assert only.make_unique_id() == hashlib.md5(str(payload).encode()).hexdigest()


# -------------------------------------------------------------------------------------- caching


def test_unique_id_is_cached_per_instance(ws: str) -> None:
    task = UidNested(workspace_directory=ws)
    first = task.make_unique_id()
    second = task.make_unique_id()
    assert first is second
    assert first == expected_unique_id(task)


def test_cached_id_ignores_later_changes_of_requires(ws: str) -> None:
    task = UidMutableReq(workspace_directory=ws)
    task._deps = [UidInt(n=1, workspace_directory=ws)]
    first = task.make_unique_id()
    assert first == expected_unique_id(task)

    task._deps = [UidInt(n=2, workspace_directory=ws), UidStr(name="s", workspace_directory=ws)]
    # The formula would now give another id; the instance keeps the first one.
    assert expected_unique_id(task) != first
    assert task.make_unique_id() == first

    # A fresh instance computes its id from the requires() it sees.
    luigi.task_register.Register.clear_instance_cache()
    fresh = UidMutableReq(workspace_directory=ws)
    assert fresh is not task
    fresh._deps = task._deps
    assert fresh.make_unique_id() == expected_unique_id(fresh) != first


def test_equal_params_give_equal_ids_across_instances(ws: str) -> None:
    a = UidNested(workspace_directory=ws)
    luigi.task_register.Register.clear_instance_cache()
    b = UidNested(workspace_directory=ws)
    assert a is not b
    assert a.make_unique_id() == b.make_unique_id()


# -------------------------------------------------------------------------- upstream propagation


def test_upstream_parameter_change_changes_downstream_id(ws: str) -> None:
    a = UidSingleReq(upstream_name="one", workspace_directory=ws)
    b = UidSingleReq(upstream_name="two", workspace_directory=ws)
    # Own significant params are equal: only the upstream id differs.
    assert significant_str_params(a) == significant_str_params(b)
    assert a.make_unique_id() != b.make_unique_id()
    assert a.make_unique_id() == expected_unique_id(a)
    assert b.make_unique_id() == expected_unique_id(b)


def test_upstream_change_propagates_through_every_level(ws: str) -> None:
    a = UidNested(upstream_name="one", workspace_directory=ws)
    b = UidNested(upstream_name="two", workspace_directory=ws)
    assert a.make_unique_id() != b.make_unique_id()
    assert (a.make_unique_id(), b.make_unique_id()) == (
        expected_unique_id(a),
        expected_unique_id(b),
    )
    # Siblings that do not depend on the change keep their ids.
    assert a.requires()["many"][0].make_unique_id() == b.requires()["many"][0].make_unique_id()
    assert a.requires()["single"].make_unique_id() != b.requires()["single"].make_unique_id()


def test_plain_luigi_dependency_change(ws: str) -> None:
    base = UidPlainReq(workspace_directory=ws).make_unique_id()
    assert UidPlainReq(plain_p=2, workspace_directory=ws).make_unique_id() != base
    # The plain task's insignificant parameter does not count.
    assert UidPlainReq(plain_comment="x", workspace_directory=ws).make_unique_id() == base


def test_insignificant_upstream_change_does_not_change_downstream(ws: str) -> None:
    a = UidInsignificantUpstreamReq(hidden_name="one", workspace_directory=ws)
    b = UidInsignificantUpstreamReq(hidden_name="two", workspace_directory=ws)
    hidden_a, hidden_b = a.requires()[0], b.requires()[0]
    assert hidden_a.make_unique_id() != hidden_b.make_unique_id()
    assert a.make_unique_id() == b.make_unique_id()


def test_own_significant_parameter_changes_id(ws: str) -> None:
    ids = {
        UidMixed(workspace_directory=ws).make_unique_id(),
        UidMixed(n=4, workspace_directory=ws).make_unique_id(),
        UidMixed(x=1.25, workspace_directory=ws).make_unique_id(),
        UidMixed(flag=True, workspace_directory=ws).make_unique_id(),
        UidMixed(day=datetime.date(2024, 1, 3), workspace_directory=ws).make_unique_id(),
        UidMixed(items=[1, "a"], workspace_directory=ws).make_unique_id(),
        UidMixed(mapping={"b": 2, "a": [1, 2]}, workspace_directory=ws).make_unique_id(),
        UidMixed(name="abd", workspace_directory=ws).make_unique_id(),
    }
    assert len(ids) == 8


# ------------------------------------------------------------------------ insignificant params


INSIGNIFICANT_OVERRIDES: list[dict[str, Any]] = [
    {"workspace_directory": "/somewhere/else"},
    {"workspace_directory": "memory://bucket/x"},
    {"local_temporary_directory": "/tmp/other"},
    {"rerun": True},
    {"strict_check": True},
    {"modification_time_check": True},
    {"significant": False},
    {"fail_on_empty_dump": True},
    {"complete_check_at_run": False},
    {"note": "a note"},
]


@pytest.mark.parametrize(
    "override", INSIGNIFICANT_OVERRIDES, ids=[next(iter(o)) for o in INSIGNIFICANT_OVERRIDES]
)
def test_insignificant_params_do_not_change_id(override: dict[str, Any], ws: str) -> None:
    base = UidMixed(workspace_directory=ws)
    other = UidMixed(**{"workspace_directory": ws, **override})
    assert other is not base
    assert other.make_unique_id() == base.make_unique_id() == expected_unique_id(base)


@pytest.mark.parametrize(
    "override",
    [o for o in INSIGNIFICANT_OVERRIDES if "note" not in o],
    ids=[next(iter(o)) for o in INSIGNIFICANT_OVERRIDES if "note" not in o],
)
def test_insignificant_params_of_a_tree_do_not_change_id(override: dict[str, Any], ws: str) -> None:
    base = UidNested(workspace_directory=ws)
    other = UidNested(**{"workspace_directory": ws, **override})
    assert other.make_unique_id() == base.make_unique_id()


def test_default_base_params_are_insignificant() -> None:
    params = dict(gokart.TaskOnKart.get_params())
    for name in (
        "workspace_directory",
        "local_temporary_directory",
        "rerun",
        "strict_check",
        "modification_time_check",
        "significant",
        "fail_on_empty_dump",
        "complete_check_at_run",
    ):
        assert not params[name].significant, name


# ---------------------------------------------------------------------------------- output names


def test_make_target_inserts_unique_id_before_extension(ws: str) -> None:
    task = UidNamedOutput(workspace_directory=ws)
    uid = expected_unique_id(task)
    target = task.output()
    assert target.path() == f"{ws}/basic_task_{uid}.pkl"
    assert target.format.name == "pickle"


def test_make_target_in_subfolder_and_default_workspace() -> None:
    task = UidNamedOutput()
    uid = expected_unique_id(task)
    assert task.make_target("a/b/basic_task.pkl").path() == f"./resources/a/b/basic_task_{uid}.pkl"
    assert task.output().path() == f"./resources/basic_task_{uid}.pkl"


def test_make_target_without_path_uses_module_and_class_name(ws: str) -> None:
    task = UidDefaultOutput(workspace_directory=ws)
    uid = expected_unique_id(task)
    module_path = UidDefaultOutput.__module__.replace(".", "/")
    assert UidDefaultOutput.__module__ == __name__
    assert task.output().path() == f"{ws}/{module_path}/UidDefaultOutput_{uid}.pkl"
    assert task.make_target().path() == task.output().path()


def test_make_target_without_unique_id_keeps_the_name(ws: str) -> None:
    task = UidNamedOutput(workspace_directory=ws)
    assert task.make_target("basic_task.pkl", use_unique_id=False).path() == f"{ws}/basic_task.pkl"
    assert task.make_target("sub/x.pkl", use_unique_id=False).path() == f"{ws}/sub/x.pkl"


def test_lock_key_is_basename_without_extension_and_unique_id(ws: str) -> None:
    task = UidNamedOutput(workspace_directory=ws)
    uid = expected_unique_id(task)
    assert task.output().lock_key == f"basic_task_{uid}"
    assert task.make_target("deep/dir/other.pkl").lock_key == f"other_{uid}"
    default = UidDefaultOutput(workspace_directory=ws)
    assert default.output().lock_key == f"UidDefaultOutput_{expected_unique_id(default)}"


def test_output_path_changes_with_upstream(ws: str) -> None:
    class_paths = {
        UidSingleReq(upstream_name=name, workspace_directory=ws).make_target("out.pkl").path()
        for name in ("a", "b", "c")
    }
    assert len(class_paths) == 3


def test_output_path_ignores_insignificant_params_except_workspace(ws: str) -> None:
    a = UidNamedOutput(workspace_directory=ws)
    b = UidNamedOutput(workspace_directory=ws, rerun=True, strict_check=True)
    c = UidNamedOutput(workspace_directory=os.path.join(ws, "other"))
    assert a.output().path() == b.output().path()
    assert os.path.basename(a.output().path()) == os.path.basename(c.output().path())
    assert a.output().path() != c.output().path()
