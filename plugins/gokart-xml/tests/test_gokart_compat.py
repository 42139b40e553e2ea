"""XML between the PyPI gokart package and gokart-core.

gokart 1.12 cannot write an ``.xml`` file to a local path: it hands a text file to
``ElementTree.write``, which writes bytes (``TypeError``). So the gokart -> gokart-core direction
is checked on what gokart's reader accepts: an XML file written by other means.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import gokart
import gokart.target
import pytest

import gokart_core
import gokart_xml
from gokart_core.plugin.manager import use_plugin_manager
from gokart_core.testing import builtins_only_plugin_manager


@pytest.fixture(autouse=True)
def _xml_only() -> Iterator[None]:
    with use_plugin_manager(builtins_only_plugin_manager(gokart_xml)):
        yield


def make_tree() -> ET.ElementTree:
    root = ET.Element("root", attrib={"a": "1"})
    ET.SubElement(root, "child").text = "ünïcode ✓"
    ET.SubElement(root, "empty")
    return ET.ElementTree(root)


def canonical(tree: ET.ElementTree) -> str:
    return ET.canonicalize(ET.tostring(tree.getroot(), encoding="unicode"))


@pytest.mark.parametrize("declaration", [False, True])
def test_xml_files_gokart_reads_load_equal(tmp_path: Path, declaration: bool) -> None:
    path = tmp_path / "x.xml"
    make_tree().write(path, encoding="utf-8", xml_declaration=declaration)
    theirs = gokart.target.make_target(file_path=str(path)).load()
    ours = gokart_core.make_target(str(path)).load()
    assert canonical(ours) == canonical(theirs) == canonical(make_tree())


def test_gokart_cannot_write_xml_to_a_local_file(tmp_path: Path) -> None:
    """Why the other direction above uses a file written by ElementTree itself."""
    with pytest.raises(TypeError, match="must be str, not bytes"):
        gokart.target.make_target(file_path=str(tmp_path / "x.xml")).dump(make_tree())


def test_gokart_core_written_xml_loads_equal_in_gokart(tmp_path: Path) -> None:
    path = str(tmp_path / "x.xml")
    gokart_core.make_target(path).dump(make_tree())
    assert canonical(gokart.target.make_target(file_path=path).load()) == canonical(make_tree())


def test_gokart_returns_an_empty_tree_for_a_malformed_file_and_we_do_not(tmp_path: Path) -> None:
    path = tmp_path / "bad.xml"
    path.write_bytes(b"<root><unclosed></root>")
    assert gokart.target.make_target(file_path=str(path)).load().getroot() is None
    with pytest.raises(gokart_core.LoadError):
        gokart_core.make_target(str(path)).load()
