from __future__ import annotations

import gzip
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import gokart_core
import gokart_text
from gokart_core.plugin.manager import use_plugin_manager
from gokart_core.testing import FormatConformance, builtins_only_plugin_manager


@pytest.fixture(autouse=True)
def _text_only() -> Iterator[None]:
    with use_plugin_manager(builtins_only_plugin_manager(gokart_text)):
        yield


LINES = ["", "  leading and trailing spaces  ", "tab\t", "ünïcode ✓ 日本語"]


class TestTxtConformance(FormatConformance):
    plugin = gokart_text
    extension = ".txt"
    samples = [["first", "second"], [], LINES, ("a", "tuple")]  # noqa: RUF012
    unsupported = b"bytes are not text"

    def assert_same(self, loaded: Any, original: Any) -> None:
        assert loaded == list(original)

    def corrupt(self, data: bytes) -> bytes:
        # Half a text file is still text: bytes that are not utf-8 are what cannot load.
        return b"\xff\xfe\xfa"


class TestIniConformance(TestTxtConformance):
    extension = ".ini"
    samples = [["[section]", "key = value"], []]  # noqa: RUF012


class TestGzConformance(FormatConformance):
    plugin = gokart_text
    extension = ".gz"
    samples = [["first", "second"], [], LINES]  # noqa: RUF012
    unsupported = b"bytes are not text"
    # Half a gzip stream has no end-of-stream marker: the default corrupt() is detected.


@pytest.fixture(params=[".txt", ".ini", ".gz"])
def ext(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _read_text(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def _write_text(path: Path, data: bytes) -> None:
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)


@pytest.mark.parametrize(
    "obj",
    [
        None,
        b"bytes",
        bytearray(b"x"),
        {"a": 1},
        {"a", "b"},
        object(),
        ["ok", None],
        ["ok", b"bytes"],
        [["nested"]],
        iter(["a generator"]),
    ],
    ids=repr,
)
def test_anything_but_text_or_a_list_of_text_and_numbers_is_refused(
    tmp_path: Path, ext: str, obj: Any
) -> None:
    target = gokart_core.make_target(str(tmp_path / f"x{ext}"))
    with pytest.raises(TypeError) as info:
        target.dump(obj)
    assert "list or tuple of str and numbers" in str(info.value)
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_list_is_one_item_a_line_ending_with_a_newline(tmp_path: Path, ext: str) -> None:
    target = gokart_core.make_target(str(tmp_path / f"x{ext}"))
    target.dump(["a", "b c", 3, 2.5, True, Decimal("1.10")])
    assert _read_text(tmp_path / f"x{ext}") == b"a\nb c\n3\n2.5\nTrue\n1.10\n"
    assert target.load() == ["a", "b c", "3", "2.5", "True", "1.10"]


def test_a_str_is_written_as_it_is_and_loads_as_its_lines(tmp_path: Path, ext: str) -> None:
    target = gokart_core.make_target(str(tmp_path / f"x{ext}"))
    target.dump("one\ntwo")
    assert _read_text(tmp_path / f"x{ext}") == b"one\ntwo"
    assert target.load() == ["one", "two"]
    target.dump("")
    assert target.load() == []


def test_an_item_with_a_line_break_loads_as_several_lines(tmp_path: Path, ext: str) -> None:
    target = gokart_core.make_target(str(tmp_path / f"x{ext}"))
    target.dump(["a\nb", "c"])
    assert target.load() == ["a", "b", "c"]


def test_any_line_break_is_stripped_and_nothing_else(tmp_path: Path, ext: str) -> None:
    path = tmp_path / f"x{ext}"
    _write_text(path, b"crlf \r\nlf\t\ncr\rlast  ")
    assert gokart_core.make_target(str(path)).load() == ["crlf ", "lf\t", "cr", "last  "]


def test_encoding_option(tmp_path: Path, ext: str) -> None:
    path = tmp_path / f"x{ext}"
    target = gokart_core.make_target(str(path), format_options={"encoding": "cp932"})
    target.dump(["日本語", "かな"])
    assert _read_text(path) == "日本語\nかな\n".encode("cp932")
    assert target.load() == ["日本語", "かな"]
    with pytest.raises(gokart_core.LoadError, match=str(path)):
        gokart_core.make_target(str(path)).load()  # utf-8 by default


def test_gz_output_is_reproducible_and_names_no_temporary_file(tmp_path: Path) -> None:
    first = gokart_core.make_target(str(tmp_path / "a.gz"))
    second = gokart_core.make_target(str(tmp_path / "b.gz"))
    first.dump(["same"])
    second.dump(["same"])
    data = (tmp_path / "a.gz").read_bytes()
    assert data == (tmp_path / "b.gz").read_bytes()
    assert b"tmp" not in data
    with gzip.open(tmp_path / "a.gz", "rt", encoding="utf-8") as fp:
        assert fp.read() == "same\n"


def test_gz_compresslevel_option(tmp_path: Path) -> None:
    lines = [f"line {i}" for i in range(5000)]
    fast = gokart_core.make_target(str(tmp_path / "fast.gz"), format_options={"compresslevel": 1})
    best = gokart_core.make_target(str(tmp_path / "best.gz"))
    fast.dump(lines)
    best.dump(lines)
    assert fast.load() == best.load() == lines
    assert (tmp_path / "best.gz").stat().st_size < (tmp_path / "fast.gz").stat().st_size


def test_gz_of_text_that_is_not_gzip_is_a_load_error(tmp_path: Path) -> None:
    path = tmp_path / "x.gz"
    path.write_bytes(b"plain text\n")
    with pytest.raises(gokart_core.LoadError, match=str(path)):
        gokart_core.make_target(str(path)).load()


def test_txt_gz_is_gzipped_text_through_core_compression(tmp_path: Path) -> None:
    target = gokart_core.make_target(str(tmp_path / "x.txt.gz"))
    assert target.format.name == "text"
    target.dump(["a", "b"])
    assert gzip.decompress((tmp_path / "x.txt.gz").read_bytes()) == b"a\nb\n"
    assert target.load() == ["a", "b"]


def test_memory_filesystem(memory_workspace: str, ext: str) -> None:
    target = gokart_core.make_target(f"{memory_workspace}/x{ext}")
    target.dump(LINES)
    assert target.load() == LINES


def test_format_names() -> None:
    target = gokart_core.make_target("x.data", format="gz")
    assert target.format.name == "gz"
    assert gokart_core.make_target("x.data", format="text").format.name == "text"
