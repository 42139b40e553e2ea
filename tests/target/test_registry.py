from __future__ import annotations

from typing import IO, Any

import pytest

from gokart_core import (
    Format,
    FormatContext,
    FormatRegistrationError,
    FormatRegistry,
    PluginNotInstalledError,
    UnknownFormatError,
)


class Plain(Format):
    name = "plain"

    def dump(self, obj: Any, fp: IO[bytes], context: FormatContext) -> None:
        fp.write(obj)

    def load(self, fp: IO[bytes], context: FormatContext) -> Any:
        return fp.read()


class Gz(Plain):
    name = "gz"


class CsvGz(Plain):
    name = "csv-gz"


def test_longest_suffix_wins() -> None:
    registry = FormatRegistry()
    registry.add("gz", Gz, extensions=(".gz",))
    registry.add("csv-gz", CsvGz, extensions=(".csv.gz",))
    assert registry.entry_for_path("dir.v1/x.csv.gz").name == "csv-gz"
    assert registry.entry_for_path("x.txt.gz").name == "gz"
    assert registry.entry_for_path("x_0123.GZ").name == "gz"


def test_explicit_name_beats_suffix() -> None:
    registry = FormatRegistry()
    registry.add("gz", Gz, extensions=(".gz",))
    registry.add("plain", Plain)
    fmt = registry.create("x.gz", "plain", {"opt": 1})
    assert isinstance(fmt, Plain) and not isinstance(fmt, Gz)
    assert fmt.options == {"opt": 1}


def test_unknown_extension_names_it_the_registered_ones_and_the_plugin() -> None:
    registry = FormatRegistry()
    registry.add("gz", Gz, extensions=(".gz",))
    with pytest.raises(UnknownFormatError) as info:
        registry.entry_for_path("ws/out_abc.csv")
    message = str(info.value)
    assert "'.csv'" in message
    assert ".gz" in message
    assert "pip install gokart-pandas" in message
    with pytest.raises(UnknownFormatError, match="'.weird'.*a format plugin provides"):
        registry.entry_for_path("ws/out.weird")
    with pytest.raises(UnknownFormatError, match="no extension"):
        registry.entry_for_path("ws/out")


def test_unknown_name_lists_names() -> None:
    registry = FormatRegistry()
    registry.add("gz", Gz, extensions=(".gz",))
    with pytest.raises(UnknownFormatError, match="'nope'.*gz"):
        registry.create("x.gz", "nope")


@pytest.mark.parametrize(
    ("name", "provider"), [("model-zip", "gokart-zip"), ("csv", "gokart-pandas")]
)
def test_unknown_known_name_says_what_to_install(name: str, provider: str) -> None:
    with pytest.raises(UnknownFormatError, match=f"'{name}'.*pip install {provider}"):
        FormatRegistry().create("x.zip", name)


def test_duplicate_extension_is_an_error() -> None:
    registry = FormatRegistry()
    registry.add("gz", Gz, extensions=(".gz",))
    with pytest.raises(FormatRegistrationError, match="extension '.gz'.*override=True"):
        registry.add("other", Plain, extensions=("gz",))


def test_duplicate_name_is_an_error() -> None:
    registry = FormatRegistry()
    registry.add("gz", Gz, extensions=(".gz",))
    with pytest.raises(FormatRegistrationError, match="format name 'gz'"):
        registry.add("gz", Plain, extensions=(".other",))


@pytest.mark.parametrize("override_first", [True, False])
def test_override_wins_in_either_order(override_first: bool) -> None:
    registry = FormatRegistry()
    adds = [
        lambda: registry.add("fast-gz", Plain, extensions=(".gz",), override=True),
        lambda: registry.add("gz", Gz, extensions=(".gz",)),
    ]
    for add in adds if override_first else reversed(adds):
        add()
    assert registry.entry_for_path("x.gz").name == "fast-gz"
    # the overridden format stays reachable by name
    assert isinstance(registry.create("x.gz", "gz"), Gz)


def test_two_overrides_clash() -> None:
    registry = FormatRegistry()
    registry.add("a", Plain, extensions=(".gz",), override=True)
    with pytest.raises(FormatRegistrationError):
        registry.add("b", Gz, extensions=(".gz",), override=True)


def test_lazy_entry_imports_on_first_use() -> None:
    registry = FormatRegistry()
    registry.add("plain", f"{__name__}:Plain", extensions=(".bin",))
    entry = registry.entry_for_path("x.bin")
    assert entry.load_class() is Plain


def test_lazy_entry_that_cannot_import_says_what_to_install() -> None:
    registry = FormatRegistry()
    registry.add(
        "parquet",
        "not_installed_pkg.mod:Parquet",
        extensions=(".parquet",),
        install_hint="gokart-pandas",
    )
    with pytest.raises(PluginNotInstalledError, match="pip install gokart-pandas"):
        registry.create("x.parquet")


def test_lazy_entry_must_name_a_format() -> None:
    registry = FormatRegistry()
    registry.add("bad", f"{__name__}:test_two_overrides_clash", extensions=(".bad",))
    with pytest.raises(FormatRegistrationError, match="subclass of gokart_core.Format"):
        registry.create("x.bad")
