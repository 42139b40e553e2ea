"""The model-zip format: multi-file round trips, temporary folders, the TaskOnKart API."""

from __future__ import annotations

import io
import os
import pickle
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import fsspec
import luigi
import pytest

import gokart_core as gokart
import gokart_zip
from gokart_core import DumpError, FormatContext, LoadError, UnsupportedObjectError
from gokart_core.target.target import TargetOnKart, make_target
from gokart_core.testing import FormatConformance
from gokart_zip._model import ModelZipFormat


def save_two_files(obj: Any, path: str) -> None:
    """A model of several files: the object pickled, and its repr in a sub-folder beside it."""
    with open(path, "wb") as fp:
        pickle.dump(obj, fp)
    os.makedirs(path + ".parts")
    with open(os.path.join(path + ".parts", "repr.txt"), "w", encoding="utf-8") as fp:
        fp.write(repr(obj))


def load_two_files(path: str) -> Any:
    with open(os.path.join(path + ".parts", "repr.txt"), encoding="utf-8") as fp:
        shown = fp.read()
    with open(path, "rb") as fp:
        obj = pickle.load(fp)
    assert repr(obj) == shown, "the second file did not come back"
    return obj


class TestModelZipConformance(FormatConformance):
    plugin = gokart_zip
    extension = ".zip"
    samples = [[1, 2, 3], {"weights": list(range(10_000)), "name": "model"}]  # noqa: RUF012
    unsupported = (x for x in range(3))  # pickle refuses a generator with a TypeError

    @pytest.fixture(autouse=True)
    def _temporary_directory(self, tmp_path: Path) -> Iterator[None]:
        self.tmp_dir = tmp_path / "local_tmp"
        yield
        # Every temporary folder is gone, also after the failing dumps and loads.
        assert not self.tmp_dir.exists() or list(self.tmp_dir.iterdir()) == []

    def _target(self, workspace: str, name: str = "obj") -> TargetOnKart:
        return make_target(
            f"{workspace}/{name}{self.extension}",
            format="model-zip",
            format_options={
                "save_function": save_two_files,
                "load_function": load_two_files,
                "local_temporary_directory": str(self.tmp_dir),
            },
        )


class Model(gokart.TaskOnKart):
    task_namespace = "gokart_zip_tests"
    value = luigi.IntParameter(default=1)

    def output(self) -> Any:
        return self.make_model_target(
            "model/model.zip", save_function=save_two_files, load_function=load_two_files
        )

    def run(self) -> None:
        self.dump({"value": self.value, "weights": [0.5] * 100})


class UsesModel(gokart.TaskOnKart):
    task_namespace = "gokart_zip_tests"

    def requires(self) -> Any:
        return Model(
            workspace_directory=self.workspace_directory,
            local_temporary_directory=self.local_temporary_directory,
        )

    def output(self) -> Any:
        return self.make_model_target(
            "uses.zip", save_function=save_two_files, load_function=load_two_files
        )

    def run(self) -> None:
        model = self.load()
        self.dump({"doubled": model["value"] * 2})


@pytest.fixture(params=["local", "memory"])
def workspace(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "local":
        yield str(tmp_path / "resources")
        return
    url = f"memory://gokart-zip-{os.urandom(6).hex()}"
    yield url
    fs = fsspec.filesystem("memory")
    if fs.exists(url):
        fs.rm(url, recursive=True)


def test_make_model_target_builds_on_any_workspace(workspace: str, tmp_path: Path) -> None:
    tmp = tmp_path / "local_tmp"
    task = UsesModel(workspace_directory=workspace, local_temporary_directory=str(tmp))
    assert gokart.build(task) == {"doubled": 2}
    model = task.requires()
    path = model.output().path()
    assert path == f"{workspace}/model/model_{model.make_unique_id()}.zip"
    with model.output().fs.open(model.output().fs_path, "rb") as fp:
        names = zipfile.ZipFile(io.BytesIO(fp.read())).namelist()
    # gokart's layout: the main file is model.pkl, the other files beside it.
    assert sorted(names) == ["model.pkl", "model.pkl.parts/", "model.pkl.parts/repr.txt"]
    assert list(tmp.iterdir()) == []


def test_path_must_end_in_zip(tmp_path: Path) -> None:
    task = Model(workspace_directory=str(tmp_path))
    with pytest.raises(ValueError, match=r"model\.pkl.*must end in '\.zip'"):
        task.make_model_target("model.pkl", save_two_files, load_two_files)


def test_use_unique_id_false_keeps_the_name(tmp_path: Path) -> None:
    task = Model(workspace_directory=str(tmp_path))
    target = task.make_model_target("m.zip", save_two_files, load_two_files, use_unique_id=False)
    assert target.path() == os.path.join(str(tmp_path), "m.zip")


def test_a_plain_zip_target_says_to_use_make_model_target(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="save_function.*make_model_target"):
        make_target(str(tmp_path / "x.zip"))


def test_save_function_gets_a_fresh_folder_under_local_temporary_directory(
    tmp_path: Path,
) -> None:
    seen: list[str] = []

    def save(obj: Any, path: str) -> None:
        seen.append(path)
        Path(path).write_text(obj)

    def load(path: str) -> Any:
        seen.append(path)
        return Path(path).read_text()

    tmp = tmp_path / "local_tmp"
    fmt = {"save_function": save, "load_function": load, "local_temporary_directory": str(tmp)}
    target = make_target(str(tmp_path / "ws" / "m.zip"), format="model-zip", format_options=fmt)
    target.dump("hello")
    assert target.load() == "hello"
    assert len(seen) == 2
    for path in seen:
        assert path.startswith(str(tmp) + os.sep)
        assert os.path.basename(path) == "model.pkl"
    assert os.path.dirname(seen[0]) != os.path.dirname(seen[1])
    assert list(tmp.iterdir()) == []


def test_temporary_folders_are_removed_when_save_or_load_fails(tmp_path: Path) -> None:
    tmp = tmp_path / "local_tmp"

    def save(obj: Any, path: str) -> None:
        Path(path).write_text("partial")
        raise RuntimeError("save failed")

    fmt = {"save_function": save, "load_function": load_two_files}
    target = make_target(
        str(tmp_path / "ws" / "m.zip"),
        format="model-zip",
        format_options={**fmt, "local_temporary_directory": str(tmp)},
    )
    with pytest.raises(DumpError, match="save failed"):
        target.dump(1)
    assert not target.exists()
    assert list(tmp.iterdir()) == []

    def load(path: str) -> Any:
        raise RuntimeError("load failed")

    good = make_target(
        target.path(),
        format="model-zip",
        format_options={
            "save_function": save_two_files,
            "load_function": load,
            "local_temporary_directory": str(tmp),
        },
    )
    good.dump(1)
    with pytest.raises(LoadError, match="load failed"):
        good.load()
    assert list(tmp.iterdir()) == []


def test_unsupported_object_publishes_nothing(tmp_path: Path) -> None:
    target = make_target(
        str(tmp_path / "m.zip"),
        format="model-zip",
        format_options={"save_function": save_two_files, "load_function": load_two_files},
    )
    with pytest.raises(UnsupportedObjectError, match="model-zip"):
        target.dump(x for x in range(3))
    assert not target.exists()


def test_save_function_writing_nothing_is_an_error(tmp_path: Path) -> None:
    target = make_target(
        str(tmp_path / "m.zip"),
        format="model-zip",
        format_options={"save_function": lambda obj, path: None, "load_function": open},
    )
    with pytest.raises(DumpError, match="wrote no file"):
        target.dump(1)
    assert not target.exists()


def test_two_tasks_never_share_a_temporary_folder(tmp_path: Path) -> None:
    """Two dumps of the same path at once (two tasks, two threads) each get their own folder."""
    folders: list[str] = []
    barrier = threading.Barrier(2)

    def save(obj: Any, path: str) -> None:
        folders.append(os.path.dirname(path))
        Path(path).write_text(str(obj))
        barrier.wait(timeout=10)  # both are inside save_function now
        assert Path(path).read_text() == str(obj)

    tmp = str(tmp_path / "local_tmp")
    errors: list[BaseException] = []

    def dump(value: int) -> None:
        target = make_target(
            str(tmp_path / f"m{value}.zip"),
            format="model-zip",
            format_options={
                "save_function": save,
                "load_function": lambda p: Path(p).read_text(),
                "local_temporary_directory": tmp,
            },
        )
        try:
            target.dump(value)
            assert target.load() == str(value)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=dump, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(folders)) == 2


class _Unseekable(io.RawIOBase):
    """A write-only or read-only stream that cannot seek, like an object-store upload."""

    def __init__(self, data: bytes = b"") -> None:
        self.buffer = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, b: Any) -> int:
        return self.buffer.readinto(b)

    def write(self, b: Any) -> int:
        return self.buffer.write(b)


def test_streams_that_cannot_seek_are_staged_through_local_files(tmp_path: Path) -> None:
    fmt = ModelZipFormat(
        save_function=save_two_files,
        load_function=load_two_files,
        local_temporary_directory=str(tmp_path),
    )
    out = _Unseekable()
    fmt.dump({"a": 1}, out, FormatContext())
    data = out.buffer.getvalue()
    assert zipfile.ZipFile(io.BytesIO(data)).namelist()[0] == "model.pkl"
    stream: IO[bytes] = _Unseekable(data)  # type: ignore[assignment]
    assert fmt.load(stream, FormatContext()) == {"a": 1}
    assert list(tmp_path.iterdir()) == []


FULL_TEMPORARY_DISK = """
import pickle, resource, signal, sys
import gokart_core

def save(obj, path):
    with open(path, "wb") as fp:
        pickle.dump(obj, fp)

# Files may grow to 1 MiB only: the staged model (4 MiB) hits the limit, as on a full disk.
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))
target = gokart_core.make_target(
    sys.argv[1],
    format="model-zip",
    format_options={"save_function": save, "load_function": print,
                    "local_temporary_directory": sys.argv[2]},
)
try:
    target.dump(b"x" * (4 << 20))
except gokart_core.DumpError as exc:
    print(exc)
"""


def test_a_full_temporary_folder_is_named_in_the_error(tmp_path: Path) -> None:
    script = tmp_path / "full.py"
    script.write_text(FULL_TEMPORARY_DISK)
    target, temporary = tmp_path / "ws" / "model.zip", tmp_path / "tmp"
    proc = subprocess.run(
        [sys.executable, str(script), str(target), str(temporary)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    message = proc.stdout
    assert str(target) in message
    assert f"in the temporary folder {temporary}/gokart-zip-" in message
    assert "local_temporary_directory" in message
    assert list(temporary.iterdir()) == [] and not target.exists()
