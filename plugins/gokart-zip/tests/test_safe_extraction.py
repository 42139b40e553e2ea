"""Hostile archives are refused with a clear error; nothing is written outside the folder."""

from __future__ import annotations

import io
import os
import re
import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fsspec
import pytest

import gokart_core as gokart
import gokart_zip._safe_zip
from gokart_core import LoadError
from gokart_core.target.target import TargetOnKart, make_target
from gokart_zip import UnsafeArchiveError, ZipLimits
from gokart_zip._safe_zip import extract_safely


def zip_bytes(
    members: list[tuple[str, bytes]],
    *,
    compression: int = zipfile.ZIP_DEFLATED,
    symlinks: dict[str, str] | None = None,
) -> bytes:
    """An archive of ``members`` (name, data) and ``symlinks`` (name -> target), unchecked."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name)
            info.compress_type = compression
            zf.writestr(info, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = 0o120777 << 16
            zf.writestr(info, target)
    return buffer.getvalue()


def read_text(path: str) -> str:
    return Path(path).read_text()


def write_text(obj: Any, path: str) -> None:
    Path(path).write_text(str(obj))


@pytest.fixture(params=["local", "memory"])
def workspace(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "local":
        yield str(tmp_path / "workspace")
        return
    url = f"memory://gokart-zip-hostile-{os.urandom(6).hex()}"
    yield url
    fs = fsspec.filesystem("memory")
    if fs.exists(url):
        fs.rm(url, recursive=True)


@pytest.fixture
def local_tmp(tmp_path: Path) -> Iterator[Path]:
    """The tasks' local_temporary_directory, deep enough that '..' members have room to land
    inside tmp_path, where the test looks for them."""
    path = tmp_path / "a" / "b" / "local_tmp"
    yield path
    assert not path.exists() or list(path.iterdir()) == [], "a temporary folder was left"


def planted(workspace: str, data: bytes, local_tmp: Path, **options: Any) -> TargetOnKart:
    """A model target whose file is ``data``: an archive someone else wrote."""
    target = make_target(
        f"{workspace}/model.zip",
        format="model-zip",
        format_options={
            "save_function": write_text,
            "load_function": read_text,
            "local_temporary_directory": str(local_tmp),
            **options,
        },
    )
    target.fs.makedirs(target.fs._parent(target.fs_path), exist_ok=True)
    with target.fs.open(target.fs_path, "wb") as fp:
        fp.write(data)
    return target


def files_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if not p.is_dir()}


def refused(target: TargetOnKart, match: str) -> UnsafeArchiveError:
    with pytest.raises(LoadError) as info:
        target.load()
    assert target.path() in str(info.value)
    cause = info.value.__cause__
    assert isinstance(cause, UnsafeArchiveError)
    assert re.search(match, str(cause)), str(cause)
    return cause


@pytest.mark.parametrize(
    "name",
    ["../evil.txt", "../../../../evil.txt", "sub/../../evil.txt", "..\\..\\evil.txt", "sub/.."],
)
def test_path_traversal_is_refused(
    workspace: str, local_tmp: Path, tmp_path: Path, name: str
) -> None:
    target = planted(workspace, zip_bytes([("model.pkl", b"fine"), (name, b"pwned")]), local_tmp)
    before = files_under(tmp_path)
    refused(target, r"contains '\.\.'.*path traversal")
    assert files_under(tmp_path) == before


@pytest.mark.parametrize("name", ["/tmp/gokart-zip-evil.txt", "C:/evil.txt", "\\evil.txt"])
def test_absolute_path_is_refused(workspace: str, local_tmp: Path, name: str) -> None:
    data = zip_bytes([("model.pkl", b"fine"), (name, b"pwned")])
    refused(planted(workspace, data, local_tmp), "absolute path")
    assert not os.path.exists("/tmp/gokart-zip-evil.txt")


@pytest.mark.parametrize("link_target", ["/etc/passwd", "../../outside", "sub/../../x", ".."])
def test_symlink_pointing_outside_is_refused(
    workspace: str, local_tmp: Path, link_target: str
) -> None:
    data = zip_bytes([("model.pkl", b"fine")], symlinks={"link": link_target})
    refused(planted(workspace, data, local_tmp), "symlink.*outside the extraction folder")


def test_write_through_a_symlink_is_refused(
    workspace: str, local_tmp: Path, tmp_path: Path
) -> None:
    """The classic two-step: a symlink to a folder outside, then a file "through" it."""
    data = zip_bytes(
        [("model.pkl", b"fine"), ("escape/evil.txt", b"pwned")], symlinks={"escape": "../.."}
    )
    target = planted(workspace, data, local_tmp)
    before = files_under(tmp_path)
    refused(target, "symlink")
    assert files_under(tmp_path) == before


def test_symlink_inside_the_folder_is_kept(workspace: str, local_tmp: Path) -> None:
    data = zip_bytes([("real/model.txt", b"hello")], symlinks={"model.pkl": "real/model.txt"})
    assert planted(workspace, data, local_tmp).load() == "hello"


def test_zip_bomb_by_ratio_is_refused_with_default_limits(workspace: str, local_tmp: Path) -> None:
    """bzip2 squeezes 20 MB of zeros to a few dozen bytes: far beyond what deflate can do."""
    data = zip_bytes([("model.pkl", bytes(20 * 2**20))], compression=zipfile.ZIP_BZIP2)
    assert len(data) < 20_000
    refused(planted(workspace, data, local_tmp), r"ratio.*zip bomb")


def test_zip_bomb_by_total_size_is_refused(workspace: str, local_tmp: Path) -> None:
    data = zip_bytes([("model.pkl", b"fine"), ("big.bin", bytes(5 * 2**20))])
    limits = ZipLimits(max_total_size=2**20)
    refused(planted(workspace, data, local_tmp, limits=limits), r"max_total_size.*zip bomb")


def test_zip_bomb_by_member_count_is_refused(workspace: str, local_tmp: Path) -> None:
    data = zip_bytes([(f"f{i}", b"x") for i in range(101)])
    target = planted(workspace, data, local_tmp, limits={"max_members": 100})
    refused(target, r"101 members.*max_members")


def test_members_sharing_their_data_are_refused_by_the_archive_ratio(
    workspace: str, local_tmp: Path
) -> None:
    """Fifield's overlapping bomb: many central-directory entries point at one compressed
    member, so each member looks ordinary while the archive expands enormously."""
    one = zip_bytes([("m0", bytes(2 * 2**20))])
    info = zipfile.ZipFile(io.BytesIO(one)).infolist()[0]
    (cd_offset,) = struct.unpack("<I", one[-6:-2])
    entry = one[cd_offset:-22]  # the one central-directory entry: 46 bytes and the name
    entries = b"".join(
        entry[:28] + struct.pack("<H", 5) + entry[30:46] + f"m{i:04d}".encode() for i in range(2000)
    )
    eocd = one[-22:-14] + struct.pack("<HHIIH", 2000, 2000, len(entries), cd_offset, 0)
    data = one[:cd_offset] + entries + eocd
    assert len(zipfile.ZipFile(io.BytesIO(data)).infolist()) == 2000
    assert info.file_size * 2000 / len(data) > 1100
    refused(planted(workspace, data, local_tmp), r"the archive expands.*zip bomb")


def test_not_enough_disk_space_is_refused(
    workspace: str, local_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = zip_bytes([("model.pkl", b"x" * 1000)])
    target = planted(workspace, data, local_tmp)
    real = gokart_zip._safe_zip.shutil.disk_usage

    def tiny(path: str) -> Any:
        return real(path)._replace(free=10)

    monkeypatch.setattr(gokart_zip._safe_zip.shutil, "disk_usage", tiny)
    refused(target, "only 10 bytes free")


def test_headers_lying_about_the_size_are_refused(workspace: str, local_tmp: Path) -> None:
    data = bytearray(zip_bytes([("model.pkl", b"y" * 100_000)]))
    # Declare 1000 bytes in the local header and in the central directory.
    data[22:26] = struct.pack("<I", 1000)
    (cd_offset,) = struct.unpack("<I", bytes(data[-6:-2]))
    data[cd_offset + 24 : cd_offset + 28] = struct.pack("<I", 1000)
    with pytest.raises(LoadError):
        planted(workspace, bytes(data), local_tmp).load()


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_a_duplicate_member_is_refused(workspace: str, local_tmp: Path) -> None:
    data = zip_bytes([("model.pkl", b"one"), ("model.pkl", b"two")])
    refused(planted(workspace, data, local_tmp), "appears twice")


def test_highly_compressible_real_data_is_not_a_bomb(tmp_path: Path) -> None:
    """What the writer makes from a large array of zeros (deflate, ~1000:1) still loads."""
    target = make_target(
        str(tmp_path / "zeros.zip"),
        format="model-zip",
        format_options={
            "save_function": lambda obj, path: Path(path).write_bytes(obj),
            "load_function": lambda path: Path(path).read_bytes(),
            "local_temporary_directory": str(tmp_path / "tmp"),
        },
    )
    target.dump(bytes(30 * 2**20))
    assert target.load() == bytes(30 * 2**20)


def test_refused_through_a_task(tmp_path: Path) -> None:
    class Victim(gokart.TaskOnKart):
        task_namespace = "gokart_zip_tests"

        def output(self) -> Any:
            return self.make_model_target("victim.zip", write_text, read_text)

    task = Victim(
        workspace_directory=str(tmp_path / "ws"),
        local_temporary_directory=str(tmp_path / "a" / "tmp"),
    )
    path = Path(task.output().path())
    path.parent.mkdir(parents=True)
    path.write_bytes(zip_bytes([("model.pkl", b"x"), ("../../evil", b"pwned")]))
    with pytest.raises(LoadError, match=r"victim_.*\.zip.*path traversal"):
        task.output().load()
    assert not (tmp_path / "evil").exists()
    assert list((tmp_path / "a" / "tmp").iterdir()) == []


def test_extract_safely_writes_nothing_before_refusing(tmp_path: Path) -> None:
    data = zip_bytes([("a.txt", b"fine"), ("b/c.txt", b"fine"), ("/abs", b"pwned")])
    destination = tmp_path / "dest"
    destination.mkdir()
    with zipfile.ZipFile(io.BytesIO(data)) as zf, pytest.raises(UnsafeArchiveError):
        extract_safely(zf, str(destination), ZipLimits())
    assert list(destination.iterdir()) == []
