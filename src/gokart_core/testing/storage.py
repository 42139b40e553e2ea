"""``StorageConformance``: one suite that every workspace filesystem must pass.

A subclass names the storage plugins to register and gives a fresh, empty workspace URL in the
fixture ``storage_workspace`` (with whatever server and config that needs)::

    class TestS3(StorageConformance):
        storage_plugins = (gokart_s3,)

        @pytest.fixture
        def storage_workspace(self, s3):
            return f"s3://{BUCKET}/conformance"

It checks, on that workspace: a pipeline builds, loads and does not run again; a dump that
fails, small or large, publishes nothing and leaves nothing behind, and keeps the previous file;
``modification_time_check``; and the existence cache (a folder listed once per build, a file
missing from the listing asked again, our own writes and removals known without asking).
The files are written by a format of this module, so no format plugin is needed.
"""

from __future__ import annotations

import json
import posixpath
import time
from collections.abc import Iterator
from typing import IO, Any, ClassVar

import fsspec
import luigi
import pytest

import gokart_core as gokart
from gokart_core.plugin.manager import use_plugin_manager
from gokart_core.target.existence import existence_cache
from gokart_core.target.format import Format, FormatContext
from gokart_core.target.registry import FormatRegistry
from gokart_core.target.target import TargetOnKart, make_target
from gokart_core.testing.plugin import builtins_only_plugin_manager

#: Bigger than the blocks of every object store's client: the write goes out in parts.
LARGE = 12 << 20


class _Json(Format):
    """JSON of a value; ``("fail", n)`` writes ``n`` bytes and then fails."""

    name = "conformance-json"

    def dump(self, obj: Any, fp: IO[bytes], context: FormatContext) -> None:
        if isinstance(obj, tuple) and obj[:1] == ("fail",):
            fp.write(b"x" * obj[1])
            raise RuntimeError("failed in the middle of a dump")
        fp.write(json.dumps(obj).encode())

    def load(self, fp: IO[bytes], context: FormatContext) -> Any:
        return json.loads(fp.read())


class _JsonPlugin:
    @gokart.hookimpl
    def gokart_register_formats(self, registry: FormatRegistry) -> None:
        registry.add("conformance-json", _Json, extensions=(".cjson",))


class ConformanceLeaf(gokart.TaskOnKart[int]):
    i: int = luigi.IntParameter()

    def output(self) -> Any:
        return self.make_target(f"leaf/{self.i}.cjson")

    def run(self) -> None:
        _count(self)
        self.dump(self.i)


class ConformanceRoot(gokart.TaskOnKart[int]):
    def requires(self) -> Any:
        return [
            ConformanceLeaf(i=i, workspace_directory=self.workspace_directory) for i in range(4)
        ]

    def output(self) -> Any:
        return self.make_target("root.cjson")

    def run(self) -> None:
        _count(self)
        self.dump(sum(self.load()))


class ConformanceNewer(gokart.TaskOnKart[int]):
    value: int = luigi.IntParameter(significant=False)

    def output(self) -> Any:
        return self.make_target("mtime/upstream.cjson")

    def run(self) -> None:
        self.dump(self.value)


class ConformanceOlder(gokart.TaskOnKart[int]):
    def requires(self) -> Any:
        return ConformanceNewer(value=1, workspace_directory=self.workspace_directory)

    def output(self) -> Any:
        return self.make_target("mtime/downstream.cjson")

    def run(self) -> None:
        _count(self)
        self.dump(self.load() + 1)


_RUNS: list[str] = []


def _count(task: gokart.TaskOnKart[Any]) -> None:
    _RUNS.append(type(task).__name__)


class StorageConformance:
    """The suite; see the module docstring."""

    #: The storage plugins to register (modules or objects with hook implementations).
    storage_plugins: ClassVar[tuple[object, ...]] = ()

    @pytest.fixture
    def storage(self, storage_workspace: str) -> Iterator[str]:
        """The workspace, with the storage plugins and this suite's format as the plugins.
        ``storage_workspace`` is the subclass's fixture: an empty workspace URL."""
        luigi.task_register.Register.clear_instance_cache()
        fsspec.AbstractFileSystem.clear_instance_cache()
        pm = builtins_only_plugin_manager(*self.storage_plugins, _JsonPlugin())
        with use_plugin_manager(pm):
            _RUNS.clear()
            workspace = storage_workspace.rstrip("/")
            # fsspec keeps an instance cache per filesystem class, and an instance keeps its
            # listings: none of an earlier test's may answer for this one.
            make_target(f"{workspace}/x.cjson").fs.invalidate_cache()
            yield workspace

    def _target(self, workspace: str, name: str) -> TargetOnKart:
        return make_target(posixpath.join(workspace, name))

    @staticmethod
    def _listing(target: TargetOnKart) -> list[str]:
        fs = target.fs
        folder = fs._parent(target.fs_path)
        try:
            names = fs.ls(folder, detail=False, refresh=True)
        except FileNotFoundError:
            names = []
        finally:
            fs.invalidate_cache(folder)  # fsspec would answer exists() from this listing
        return sorted(posixpath.basename(str(p).rstrip("/")) for p in names)

    def test_a_pipeline_builds_loads_and_runs_once(self, storage: str) -> None:
        assert gokart.build(ConformanceRoot(workspace_directory=storage)) == 6
        assert sorted(_RUNS) == ["ConformanceLeaf"] * 4 + ["ConformanceRoot"]
        _RUNS.clear()
        luigi.task_register.Register.clear_instance_cache()
        assert gokart.build(ConformanceRoot(workspace_directory=storage)) == 6
        assert _RUNS == []

    @pytest.mark.parametrize("size", [10, LARGE], ids=["small", "large"])
    def test_a_failed_dump_publishes_nothing_and_keeps_the_previous_file(
        self, storage: str, size: int
    ) -> None:
        target = self._target(storage, "failing/out.cjson")
        with pytest.raises(gokart.DumpError, match="failed in the middle"):
            target.dump(("fail", size))
        assert not target.exists()
        assert self._listing(target) == []  # no temporary file either
        target.dump({"kept": True})
        with pytest.raises(gokart.DumpError):
            target.dump(("fail", size))
        assert target.load() == {"kept": True}
        assert self._listing(target) == ["out.cjson"]

    def test_modification_time_check(self, storage: str) -> None:
        def older() -> ConformanceOlder:
            luigi.task_register.Register.clear_instance_cache()
            return ConformanceOlder(workspace_directory=storage, modification_time_check=True)

        assert gokart.build(older()) == 2
        assert older().complete()
        time.sleep(1.1)  # object stores keep modification times to the second
        # The upstream output written again after the downstream one: the downstream is stale.
        ConformanceNewer(value=5, workspace_directory=storage).output().dump(5)
        assert not older().complete()
        _RUNS.clear()
        assert gokart.build(older()) == 6
        assert _RUNS == ["ConformanceOlder"]

    def test_the_existence_cache_asks_again_for_what_it_has_not_seen(self, storage: str) -> None:
        targets = [self._target(storage, f"listed/f{i}.cjson") for i in range(3)]
        targets[0].dump(0)
        with existence_cache.scope():
            assert [t.exists() for t in targets] == [True, False, False]
            # Another application writes f1, through a filesystem instance of its own.
            fs = type(targets[1].fs)(
                *targets[1].fs.storage_args,
                **{**targets[1].fs.storage_options, "skip_instance_cache": True},
            )
            fs.pipe_file(targets[1].fs_path, b"1")
            assert targets[1].exists()
            targets[0].remove()
            assert not targets[0].exists()  # removed by us: the cache forgets it
            targets[2].dump(2)
            assert targets[2].exists()


__all__ = ["StorageConformance"]
