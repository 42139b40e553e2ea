from __future__ import annotations

import os
import stat
from datetime import datetime
from pathlib import Path
from typing import Any

import fsspec
import pytest

import gokart_core as gokart
from gokart_core.target import existence
from gokart_core.target.target import TargetOnKart

WORKSPACES = ["local", "memory"]


@pytest.fixture(params=WORKSPACES)
def workspace(request: pytest.FixtureRequest, tmp_path: Path, memory_workspace: str) -> str:
    return str(tmp_path / "ws") if request.param == "local" else memory_workspace


def test_round_trip_and_remove(workspace: str) -> None:
    target = gokart.make_target(f"{workspace}/sub/dir/x.pkl")
    assert not target.exists()
    target.dump({"a": [1, 2]})
    assert target.exists()
    assert target.load() == {"a": [1, 2]}
    assert isinstance(target.last_modification_time(), datetime)
    target.remove()
    assert not target.exists()
    target.remove()  # removing a missing target is not an error


def test_path_is_a_method_returning_the_path_as_given(workspace: str) -> None:
    target = gokart.make_target(f"{workspace}/x.pkl")
    assert target.path() == f"{workspace}/x.pkl"
    assert str(target) == target.path()


def test_text_format_uses_the_encoding_option(tmp_path: Path) -> None:
    path = tmp_path / "x.tjson"
    target = gokart.make_target(str(path), format_options={"encoding": "cp932"})
    target.dump({"k": "日本語"})
    assert path.read_bytes().decode("cp932") == '{"k": "日本語"}'
    assert target.load() == {"k": "日本語"}


def test_explicit_format_for_an_unregistered_extension(tmp_path: Path) -> None:
    target = gokart.make_target(str(tmp_path / "x.data"), format="pickle")
    target.dump([1, 2])
    assert target.load() == [1, 2]


def test_unknown_extension_error_at_make_target(tmp_path: Path) -> None:
    with pytest.raises(gokart.UnknownFormatError, match=r"'\.csv'.*\.pkl.*gokart-pandas"):
        gokart.make_target(str(tmp_path / "x.csv"))


def test_unsupported_object_is_refused_before_any_file(tmp_path: Path) -> None:
    target = gokart.make_target(str(tmp_path / "out" / "x.tjson"))
    with pytest.raises(gokart.UnsupportedObjectError) as info:
        target.dump("a string")
    assert str(tmp_path / "out" / "x.tjson") in str(info.value)
    assert "test-json" in str(info.value) and "dict or list" in str(info.value)
    assert not (tmp_path / "out").exists()


def test_corrupt_file_error_names_the_path(tmp_path: Path) -> None:
    target = gokart.make_target(str(tmp_path / "x.pkl"))
    target.dump(list(range(1000)))
    data = (tmp_path / "x.pkl").read_bytes()
    (tmp_path / "x.pkl").write_bytes(data[: len(data) // 3])
    with pytest.raises(gokart.LoadError, match=str(tmp_path / "x.pkl")):
        target.load()


def test_load_of_a_missing_target(tmp_path: Path) -> None:
    with pytest.raises(gokart.TargetNotFoundError, match="does not exist"):
        gokart.make_target(str(tmp_path / "x.pkl")).load()


def test_published_file_has_the_usual_permissions(tmp_path: Path) -> None:
    path = tmp_path / "x.pkl"
    gokart.make_target(str(path)).dump(1)
    reference = tmp_path / "ref"
    reference.write_bytes(b"")
    assert stat.S_IMODE(path.stat().st_mode) == stat.S_IMODE(reference.stat().st_mode)


class Unpicklable:
    def __reduce__(self) -> Any:
        raise TypeError("cannot pickle Unpicklable")


def test_failing_dump_keeps_the_previous_output_and_leaves_no_temp(workspace: str) -> None:
    target = gokart.make_target(f"{workspace}/x.pkl")
    target.dump(["first"])
    fs, parent = target.fs, target.fs._parent(target.fs_path)
    before = sorted(fs.ls(parent, detail=False))
    with pytest.raises(gokart.UnsupportedObjectError, match="x.pkl"):
        target.dump(["x" * 100_000, Unpicklable()])  # fails after bytes were written
    assert sorted(fs.ls(parent, detail=False)) == before
    assert target.load() == ["first"]


def test_memory_workspace_never_shows_a_partial_file(memory_workspace: str) -> None:
    """fsspec's memory filesystem publishes a file when it is opened; ours must not."""
    seen: list[bool] = []
    target = gokart.make_target(f"{memory_workspace}/x.pkl")

    class Spy:
        def __reduce__(self) -> Any:
            seen.append(target.fs.exists(target.fs_path))
            return (str, ("spy",))

    target.dump([Spy()])
    assert seen == [False]
    assert target.load() == ["spy"]


def test_lock_is_entered_around_dump_and_remove(tmp_path: Path) -> None:
    """Reads need no lock: a published file is always complete."""
    events: list[str] = []

    class Lock:
        def __enter__(self) -> None:
            events.append("enter")

        def __exit__(self, *exc: object) -> None:
            events.append("exit")

    made: list[int] = []

    def factory() -> Lock:
        made.append(1)
        return Lock()

    base = gokart.make_target(str(tmp_path / "x.pkl"))
    target = TargetOnKart(base.path(), base.format, lock=factory)
    target.exists()
    target.dump(1)
    target.load()
    target.last_modification_time()
    assert events == ["enter", "exit"]
    target.remove()
    target.dump(2, lock=False)
    assert events == ["enter", "exit"] * 2
    assert made == [1]


class CountingFS:
    """Counts ``exists`` calls of a real filesystem."""

    def __init__(self) -> None:
        self.calls = 0

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        real = fsspec.implementations.local.LocalFileSystem.exists

        def exists(fs: Any, path: str, **kwargs: Any) -> bool:
            self.calls += 1
            return bool(real(fs, path, **kwargs))

        monkeypatch.setattr(fsspec.implementations.local.LocalFileSystem, "exists", exists)


def test_existence_cache_keeps_positive_answers_inside_a_scope(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = CountingFS()
    counter.install(monkeypatch)
    target = gokart.make_target(str(tmp_path / "x.pkl"))
    with existence.existence_cache.scope():
        assert not target.exists()
        assert not target.exists()
        assert counter.calls == 2  # a missing file is asked again every time
        os.makedirs(tmp_path, exist_ok=True)
        target.dump(1)
        assert target.exists() and target.exists()
        assert counter.calls == 2  # the dump told the cache
        target.remove()
        assert not target.exists()
    target.dump(2)
    assert target.exists() and target.exists()
    assert counter.calls > 4  # outside a scope nothing is cached


def test_a_long_file_name_still_gets_a_temporary_sibling(tmp_path: Path) -> None:
    name = "x" * 240 + ".pkl"
    target = gokart.make_target(str(tmp_path / name))
    target.dump([1])
    assert target.load() == [1]
    assert os.listdir(tmp_path) == [name]
