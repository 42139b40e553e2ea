"""A base class of tests that every format plugin should pass.

Subclass it in your plugin's tests and set the class attributes::

    class TestYaml(FormatConformance):
        plugin = gokart_yaml            # the module (or object) with the hook implementations
        extension = ".yaml"
        samples = [{"a": 1}, [1, 2, 3]]
        unsupported = object()          # something the format cannot hold

Override ``assert_same`` for objects without a useful ``==`` (DataFrames), and ``corrupt`` when
cutting a file in half still leaves valid content (plain text).
"""

from __future__ import annotations

import io
import posixpath
import uuid
from collections.abc import Iterator
from typing import IO, Any, ClassVar

import fsspec
import pytest

from gokart_core.errors import DumpError, LoadError, TargetNotFoundError
from gokart_core.plugin.manager import Plugins, make_plugin_manager, use_plugin_manager
from gokart_core.target.format import Format, FormatContext
from gokart_core.target.target import TargetOnKart, make_target


class _FailsMidWrite(Format):
    """Writes half of what the real format writes, then fails: a crash in the middle of a dump."""

    def __init__(self, inner: Format) -> None:
        super().__init__(**inner.options)
        self.inner = inner
        self.name = inner.name  # type: ignore[misc]
        self.binary = inner.binary  # type: ignore[misc]
        self.newline = inner.newline  # type: ignore[misc]

    def dump(self, obj: Any, fp: IO[Any], context: FormatContext) -> None:
        buffer: io.BytesIO | io.StringIO = io.BytesIO() if self.inner.binary else io.StringIO()
        self.inner.dump(obj, buffer, context)
        data = buffer.getvalue()
        fp.write(data[: max(1, len(data) // 2)])
        fp.flush()
        raise RuntimeError("simulated crash in the middle of a dump")

    def load(self, fp: IO[Any], context: FormatContext) -> Any:
        return self.inner.load(fp, context)


class FormatConformance:
    """Round trip, atomic writes and clear errors, on a local folder and on ``memory://``."""

    #: The plugin to register (a module or object with ``gokart_register_formats``).
    plugin: ClassVar[object]
    #: The extension under test, e.g. ``".pkl"``.
    extension: ClassVar[str]
    #: Objects that must survive a dump and a load.
    samples: ClassVar[list[Any]]
    #: An object the format cannot hold.
    unsupported: ClassVar[Any]

    def assert_same(self, loaded: Any, original: Any) -> None:
        assert loaded == original

    def corrupt(self, data: bytes) -> bytes:
        """Bytes that the format must refuse to load; by default the file cut in half."""
        return data[: len(data) // 2]

    @pytest.fixture
    def plugins(self) -> Iterator[Plugins]:
        with use_plugin_manager(make_plugin_manager(False, plugins=[self.plugin])) as plugins:
            yield plugins

    @pytest.fixture(params=["local", "memory"])
    def workspace(self, request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
        if request.param == "local":
            yield str(tmp_path / "workspace")
            return
        url = f"memory://conformance-{uuid.uuid4().hex}"
        yield url
        fs = fsspec.filesystem("memory")
        if fs.exists(url):
            fs.rm(url, recursive=True)

    def _target(self, workspace: str, name: str = "obj") -> TargetOnKart:
        return make_target(posixpath.join(workspace, f"{name}{self.extension}"))

    @staticmethod
    def _listing(target: TargetOnKart) -> list[str]:
        fs = target.fs
        parent = fs._parent(target.fs_path)
        if not fs.exists(parent):
            return []
        return sorted(posixpath.basename(p) for p in fs.ls(parent, detail=False))

    def test_extension_is_registered(self, plugins: Plugins) -> None:
        assert self.extension.lower() in plugins.formats.extensions

    def test_round_trip(self, plugins: Plugins, workspace: str) -> None:
        assert self.samples, "set `samples` to at least one object"
        for i, original in enumerate(self.samples):
            target = self._target(workspace, f"sample{i}")
            assert not target.exists()
            target.dump(original)
            assert target.exists()
            self.assert_same(target.load(), original)

    def test_failed_first_dump_publishes_nothing(self, plugins: Plugins, workspace: str) -> None:
        real = self._target(workspace)
        broken = TargetOnKart(real.path(), _FailsMidWrite(real.format))
        with pytest.raises(DumpError, match="simulated crash"):
            broken.dump(self.samples[0])
        assert not real.exists()
        assert self._listing(real) == []

    def test_failed_dump_keeps_previous_output(self, plugins: Plugins, workspace: str) -> None:
        real = self._target(workspace)
        real.dump(self.samples[0])
        before = self._listing(real)
        broken = TargetOnKart(real.path(), _FailsMidWrite(real.format))
        with pytest.raises(DumpError):
            broken.dump(self.samples[-1])
        self.assert_same(real.load(), self.samples[0])
        assert self._listing(real) == before

    def test_unsupported_object_is_a_type_error(self, plugins: Plugins, workspace: str) -> None:
        target = self._target(workspace)
        with pytest.raises(TypeError) as info:
            target.dump(self.unsupported)
        message = str(info.value)
        assert target.path() in message
        assert target.format.name in message
        assert not target.exists()
        assert self._listing(target) == []

    def test_corrupt_file_is_a_load_error_naming_the_path(
        self, plugins: Plugins, workspace: str
    ) -> None:
        target = self._target(workspace)
        target.dump(self.samples[0])
        with target.fs.open(target.fs_path, "rb") as fp:
            data = fp.read()
        with target.fs.open(target.fs_path, "wb") as fp:
            fp.write(self.corrupt(data))
        with pytest.raises(LoadError) as info:
            target.load()
        assert target.path() in str(info.value)

    def test_missing_file_is_not_found(self, plugins: Plugins, workspace: str) -> None:
        target = self._target(workspace)
        with pytest.raises(TargetNotFoundError, match="does not exist"):
            target.load()
