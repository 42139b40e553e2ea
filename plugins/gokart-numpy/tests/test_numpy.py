from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import gokart_core
import gokart_numpy
from gokart_core.plugin.manager import use_plugin_manager
from gokart_core.testing import FormatConformance, builtins_only_plugin_manager


@pytest.fixture(autouse=True)
def _numpy_only() -> Iterator[None]:
    with use_plugin_manager(builtins_only_plugin_manager(gokart_numpy)):
        yield


class TestNpzConformance(FormatConformance):
    plugin = gokart_numpy
    extension = ".npz"
    samples = [  # noqa: RUF012
        np.arange(10_000, dtype="int64").reshape(100, 100),
        np.array([], dtype="float32"),
        np.array(3.5),
        np.array(["ünïcode", "text"]),
        np.array([(1, 2.5)], dtype=[("a", "i4"), ("b", "f8")]),
        np.array([1 + 2j, np.nan]),
        np.asfortranarray(np.ones((3, 4), dtype=bool)),
        np.array(["2024-01-01"], dtype="datetime64[D]"),
    ]
    unsupported = np.array([{"a": 1}, None], dtype=object)

    def assert_same(self, loaded: Any, original: Any) -> None:
        assert type(loaded) is np.ndarray
        assert loaded.dtype == original.dtype
        np.testing.assert_array_equal(loaded, original)


@pytest.mark.parametrize(
    "obj",
    [[1, 2, 3], np.ma.masked_array([1, 2], mask=[0, 1]), np.float64(1.5), {"data": np.ones(2)}],
    ids=["list", "masked", "scalar", "dict"],
)
def test_only_plain_arrays_are_accepted(tmp_path: Path, obj: Any) -> None:
    target = gokart_core.make_target(str(tmp_path / "x.npz"))
    with pytest.raises(TypeError, match=r"numpy\.ndarray"):
        target.dump(obj)
    assert list(tmp_path.iterdir()) == []


def test_written_as_gokart_does_compressed_under_data(tmp_path: Path) -> None:
    path = tmp_path / "x.npz"
    gokart_core.make_target(str(path)).dump(np.zeros(1000))
    with zipfile.ZipFile(path) as zf:
        assert zf.namelist() == ["data.npy"]
        assert zf.getinfo("data.npy").compress_type == zipfile.ZIP_DEFLATED
    np.testing.assert_array_equal(np.load(path)["data"], np.zeros(1000))


def test_a_pickled_object_array_is_never_unpickled(tmp_path: Path) -> None:
    path = tmp_path / "x.npz"
    np.savez_compressed(path, data=np.array([object()], dtype=object))
    with pytest.raises(gokart_core.LoadError, match="allow_pickle"):
        gokart_core.make_target(str(path)).load()


def test_an_archive_without_data_names_what_it_has(tmp_path: Path) -> None:
    path = tmp_path / "x.npz"
    np.savez(path, other=np.ones(2))
    with pytest.raises(gokart_core.LoadError, match=r"no array named 'data'.*'other'"):
        gokart_core.make_target(str(path)).load()


def test_a_single_npy_is_a_load_error(tmp_path: Path) -> None:
    path = tmp_path / "x.npz"
    buffer = io.BytesIO()
    np.save(buffer, np.ones(2))
    path.write_bytes(buffer.getvalue())
    with pytest.raises(gokart_core.LoadError, match=str(path)):
        gokart_core.make_target(str(path)).load()


@pytest.mark.parametrize("content", [b"\x00\x01\x02\x03", b"", b"PK", b"hello world, no zip"])
def test_a_corrupt_file_is_called_corrupt_with_no_pickle_advice(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "x.npz"
    path.write_bytes(content)
    with pytest.raises(gokart_core.LoadError) as caught:
        gokart_core.make_target(str(path)).load()
    message = str(caught.value)
    assert str(path) in message and "not an .npz archive" in message
    assert "pickle" not in message


def test_memory_filesystem(memory_workspace: str) -> None:
    target = gokart_core.make_target(f"{memory_workspace}/x.npz")
    target.dump(np.arange(5))
    np.testing.assert_array_equal(target.load(), np.arange(5))
