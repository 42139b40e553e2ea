from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import gokart_binary
import gokart_core
from gokart_core.plugin.manager import Plugins, use_plugin_manager
from gokart_core.testing import FormatConformance, builtins_only_plugin_manager


@pytest.fixture(autouse=True)
def _binary_only() -> Iterator[None]:
    with use_plugin_manager(builtins_only_plugin_manager(gokart_binary)):
        yield


PNG_HEADER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


class TestPngConformance(FormatConformance):
    plugin = gokart_binary
    extension = ".png"
    samples = [PNG_HEADER + os.urandom(1000), b"", bytes(range(256)) * 100]  # noqa: RUF012
    unsupported = "text is not bytes"

    def test_corrupt_file_is_a_load_error_naming_the_path(
        self, plugins: Plugins, workspace: str
    ) -> None:
        """Raw bytes cannot be corrupt: a truncated image loads as the bytes that are there."""
        target = self._target(workspace)
        target.dump(self.samples[0])
        with target.fs.open(target.fs_path, "wb") as fp:
            fp.write(self.samples[0][:100])
        assert target.load() == self.samples[0][:100]


class TestJpgConformance(TestPngConformance):
    extension = ".jpg"
    samples = [b"\xff\xd8\xff\xe0" + os.urandom(5000) + b"\xff\xd9"]  # noqa: RUF012


@pytest.mark.parametrize(
    "obj",
    [bytearray(b"\x89PNG abc"), memoryview(b"\x89PNG abc"), io.BytesIO(b"x").getbuffer()],
    ids=["bytearray", "memoryview", "BytesIO.getbuffer"],
)
def test_bytes_like_objects_load_as_bytes(tmp_path: Path, obj: Any) -> None:
    target = gokart_core.make_target(str(tmp_path / "x.png"))
    target.dump(obj)
    loaded = target.load()
    assert type(loaded) is bytes
    assert loaded == bytes(obj)


def test_a_memoryview_of_wider_items_writes_all_its_bytes(tmp_path: Path) -> None:
    import array

    numbers = array.array("d", [1.0, 2.0, 3.0])
    target = gokart_core.make_target(str(tmp_path / "x.png"))
    target.dump(memoryview(numbers))
    assert target.load() == numbers.tobytes()
    target.dump(memoryview(numbers)[::2])  # not contiguous
    assert target.load() == array.array("d", [1.0, 3.0]).tobytes()


@pytest.mark.parametrize("obj", ["str", None, io.BytesIO(b"x"), [1, 2]], ids=repr)
def test_anything_but_bytes_is_refused(tmp_path: Path, obj: Any) -> None:
    target = gokart_core.make_target(str(tmp_path / "x.jpg"))
    with pytest.raises(TypeError, match="bytes, bytearray or memoryview"):
        target.dump(obj)
    assert list(tmp_path.iterdir()) == []
