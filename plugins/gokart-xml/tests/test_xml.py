from __future__ import annotations

import tracemalloc
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import gokart_core
import gokart_xml
from gokart_core.plugin.manager import use_plugin_manager
from gokart_core.testing import FormatConformance, builtins_only_plugin_manager


@pytest.fixture(autouse=True)
def _xml_only() -> Iterator[None]:
    with use_plugin_manager(builtins_only_plugin_manager(gokart_xml)):
        yield


def make_tree() -> ET.ElementTree:
    root = ET.Element("root", attrib={"version": "1"})
    for i, text in enumerate(["plain", "ünïcode ✓ 日本語", '<escaped> & "quoted"']):
        child = ET.SubElement(root, "item", attrib={"id": str(i)})
        child.text = text
        child.tail = "\n"
    return ET.ElementTree(root)


def canonical(obj: Any) -> str:
    root = obj.getroot() if isinstance(obj, ET.ElementTree) else obj
    return ET.canonicalize(ET.tostring(root, encoding="unicode"))


class TestXmlConformance(FormatConformance):
    plugin = gokart_xml
    extension = ".xml"
    samples = [make_tree(), ET.Element("empty")]  # noqa: RUF012
    unsupported = "<root/>"  # text, not a tree

    def assert_same(self, loaded: Any, original: Any) -> None:
        assert isinstance(loaded, ET.ElementTree)
        assert canonical(loaded) == canonical(original)


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>
"""


def _load_refused(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    with pytest.raises(gokart_core.LoadError) as info:
        gokart_core.make_target(str(path)).load()
    message = str(info.value)
    assert str(path) in message
    assert "'xml'" in message
    assert isinstance(info.value.__cause__, gokart_xml._format.UnsafeXmlError)
    return message


def test_billion_laughs_is_refused_without_expanding(tmp_path: Path) -> None:
    tracemalloc.start()
    try:
        message = _load_refused(tmp_path / "bomb.xml", BOMB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "UnsafeXmlError" in message
    assert "entit" in message.lower()
    assert peak < 10_000_000  # expanded, lol9 is 3 GB of "lol"


def test_external_entity_is_refused_and_no_local_file_is_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    data = (
        f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>\n<r>&x;</r>'
    ).encode()
    message = _load_refused(tmp_path / "xxe.xml", data)
    assert "TOP-SECRET-CONTENT" not in message


def test_etc_passwd_entity_is_refused(tmp_path: Path) -> None:
    data = b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'
    message = _load_refused(tmp_path / "passwd.xml", data)
    assert "root:" not in message


def test_parameter_entity_is_refused(tmp_path: Path) -> None:
    data = b'<!DOCTYPE r [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><r/>'
    _load_refused(tmp_path / "param.xml", data)


def test_external_dtd_is_never_read(tmp_path: Path) -> None:
    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ENTITY x "FROM-THE-DTD">')
    path = tmp_path / "dtd.xml"
    path.write_bytes(f'<?xml version="1.0"?><!DOCTYPE r SYSTEM "file://{dtd}"><r>&x;</r>'.encode())
    with pytest.raises(gokart_core.LoadError, match="undefined entity") as info:
        gokart_core.make_target(str(path)).load()
    assert "FROM-THE-DTD" not in str(info.value)


@pytest.mark.parametrize(
    "data",
    [b"", b"not xml at all", b"<root><unclosed></root>", b"<a/><b/>", b"<root>\xff</root>"],
    ids=["empty", "text", "mismatched", "two-roots", "bad-utf8"],
)
def test_malformed_file_is_a_load_error_not_an_empty_tree(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "bad.xml"
    path.write_bytes(data)
    with pytest.raises(gokart_core.LoadError, match="ParseError") as info:
        gokart_core.make_target(str(path)).load()
    assert str(path) in str(info.value)


def test_a_plain_doctype_without_entities_parses(tmp_path: Path) -> None:
    path = tmp_path / "doctype.xml"
    path.write_bytes(b'<?xml version="1.0"?><!DOCTYPE r [<!ELEMENT r (#PCDATA)>]><r>ok</r>')
    assert gokart_core.make_target(str(path)).load().getroot().text == "ok"


def test_predefined_entities_and_character_references_parse(tmp_path: Path) -> None:
    path = tmp_path / "refs.xml"
    path.write_bytes(b"<r>&lt;&amp;&gt;&#233;&#x2713;</r>")
    assert gokart_core.make_target(str(path)).load().getroot().text == "<&>é✓"


@pytest.mark.parametrize("obj", [None, {"a": 1}, b"<r/>", ET.ElementTree()], ids=repr)
def test_only_trees_with_a_root_and_elements_are_accepted(tmp_path: Path, obj: Any) -> None:
    target = gokart_core.make_target(str(tmp_path / "x.xml"))
    with pytest.raises(TypeError, match="ElementTree"):
        target.dump(obj)
    assert list(tmp_path.iterdir()) == []


def test_written_with_a_declaration_in_the_encoding_option(tmp_path: Path) -> None:
    path = tmp_path / "x.xml"
    gokart_core.make_target(str(path)).dump(make_tree())
    assert path.read_bytes().startswith(b"<?xml version='1.0' encoding='utf-8'?>\n<root")
    assert "ünïcode ✓ 日本語".encode() in path.read_bytes()

    target = gokart_core.make_target(str(path), format_options={"encoding": "cp932"})
    target.dump(make_tree())
    data = path.read_bytes()
    assert data.startswith(b"<?xml version='1.0' encoding='cp932'?>")
    assert "日本語".encode("cp932") in data
    assert b"&#10003;" in data  # not in cp932: a character reference
    assert canonical(target.load()) == canonical(make_tree())
    # The declaration tells the encoding: no option needed to load, even one expat lacks.
    assert canonical(gokart_core.make_target(str(path)).load()) == canonical(make_tree())


def test_a_single_byte_encoding_from_the_declaration(tmp_path: Path) -> None:
    path = tmp_path / "latin.xml"
    path.write_bytes("<?xml version='1.0' encoding='latin-1'?><r>café</r>".encode("latin-1"))
    assert gokart_core.make_target(str(path)).load().getroot().text == "café"


def test_bombs_are_refused_when_decoded_in_python_too(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xml"
    path.write_bytes(BOMB.replace(b'version="1.0"', b'version="1.0" encoding="cp932"'))
    with pytest.raises(gokart_core.LoadError, match="UnsafeXmlError"):
        gokart_core.make_target(str(path)).load()
    with pytest.raises(gokart_core.LoadError, match="UnsafeXmlError"):
        gokart_core.make_target(str(path), format_options={"encoding": "cp932"}).load()
