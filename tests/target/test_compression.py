"""Compression by suffix: ``x.pkl.gz`` is a gzipped pickle; ``.gz`` alone keeps its own meaning."""

from __future__ import annotations

import bz2
import gzip
import lzma
import pickle
from pathlib import Path
from typing import IO, Any

import fsspec.compression
import pytest

import gokart_core as gokart
from gokart_core import Format, FormatContext, FormatRegistry, PluginNotInstalledError

DECOMPRESS = {".gz": gzip.decompress, ".bz2": bz2.decompress, ".xz": lzma.decompress}


@pytest.fixture(params=["local", "memory"])
def workspace(request: pytest.FixtureRequest, tmp_path: Path, memory_workspace: str) -> str:
    return str(tmp_path) if request.param == "local" else memory_workspace


@pytest.mark.parametrize("ext", sorted(DECOMPRESS))
def test_compressed_pickle_round_trip(workspace: str, ext: str) -> None:
    target = gokart.make_target(f"{workspace}/x.pkl{ext}")
    assert target.format.name == "pickle" and target.context.compression is not None
    obj = {"rows": list(range(10_000))}
    target.dump(obj)
    assert target.load() == obj
    with target.fs.open(target.fs_path, "rb") as fp:
        raw = fp.read()
    assert pickle.loads(DECOMPRESS[ext](raw)) == obj


def test_compressed_text_format(tmp_path: Path) -> None:
    target = gokart.make_target(str(tmp_path / "x.tjson.gz"), format_options={"encoding": "cp932"})
    target.dump({"k": "日本語"})
    assert gzip.decompress((tmp_path / "x.tjson.gz").read_bytes()).decode("cp932")
    assert target.load() == {"k": "日本語"}


class PlainGz(Format):
    name = "plain-gz"

    def dump(self, obj: Any, fp: IO[bytes], context: FormatContext) -> None:
        fp.write(gzip.compress(obj))

    def load(self, fp: IO[bytes], context: FormatContext) -> Any:
        return gzip.decompress(fp.read())


def test_registered_gz_keeps_its_meaning_and_longest_suffix_wins() -> None:
    registry = FormatRegistry()
    registry.add("plain-gz", PlainGz, extensions=(".gz",))
    registry.add("pickle", "gokart_pickle._format:PickleFormat", extensions=(".pkl",))
    assert registry.match("x.gz").entry.name == "plain-gz"
    assert registry.match("x.tar.gz").entry.name == "plain-gz"
    nested = registry.match("dir/x.pkl.gz")
    assert (nested.entry.name, nested.suffix, nested.compression) == ("pickle", ".pkl.gz", "gzip")
    registry.add("special", PlainGz, extensions=(".pkl.gz",))
    assert registry.match("x.pkl.gz").entry.name == "special"
    assert registry.match("x.pkl.gz").compression is None


class Task(gokart.TaskOnKart[Any]):
    def output(self) -> Any:
        return self.make_target("out.pkl.gz")

    def run(self) -> None:
        self.dump([1, 2, 3])


def test_unique_id_goes_before_the_whole_suffix(tmp_path: Path) -> None:
    task = Task(workspace_directory=str(tmp_path))
    assert gokart.build(task) == [1, 2, 3]
    assert task.output().path() == f"{tmp_path}/out_{task.make_unique_id()}.pkl.gz"
    assert task.output().lock_key == f"out.pkl_{task.make_unique_id()}"  # gokart's key rule


def test_zstd_needs_zstandard(tmp_path: Path) -> None:
    if "zstd" in fsspec.compression.compr:
        target = gokart.make_target(str(tmp_path / "x.pkl.zst"))
        target.dump([1])
        assert target.load() == [1]
    else:
        with pytest.raises(PluginNotInstalledError, match="pip install zstandard"):
            gokart.make_target(str(tmp_path / "x.pkl.zst"))
