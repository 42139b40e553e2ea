from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import IO, Any

import pluggy
import pytest

import gokart_core as gokart
from gokart_core import Format, FormatRegistry, hookimpl
from gokart_core.plugin import manager
from gokart_core.plugin.manager import make_plugin_manager, use_plugin_manager
from gokart_core.target.format import FormatContext


class Reversed(Format):
    """Stores bytes reversed: distinguishable from any real format."""

    name = "reversed"

    def dump(self, obj: Any, fp: IO[bytes], context: FormatContext) -> None:
        fp.write(bytes(obj)[::-1])

    def load(self, fp: IO[bytes], context: FormatContext) -> Any:
        return fp.read()[::-1]


class ThirdParty:
    @hookimpl
    def gokart_register_formats(self, registry: FormatRegistry) -> None:
        registry.add("reversed", Reversed, extensions=(".rev",))


class OverridesPickle:
    @hookimpl
    def gokart_register_formats(self, registry: FormatRegistry) -> None:
        registry.add("reversed-pkl", Reversed, extensions=(".pkl",), override=True)


def test_importing_gokart_core_builds_no_plugin_manager() -> None:
    code = textwrap.dedent(
        """
        import gokart_core
        from gokart_core.plugin import manager
        assert manager._default is None, "built at import time"
        import sys
        assert "gokart_pickle" not in sys.modules, "a plugin was imported at import time"
        assert "pandas" not in sys.modules, "core imported pandas"
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_builtins_are_trylast_so_plugins_win() -> None:
    pm = make_plugin_manager(load_entrypoints=False)
    for hook in (
        "gokart_get_filesystem",
        "gokart_make_target_lock",
        "gokart_make_run_lock",
        "gokart_resolve_format",
    ):
        impls = getattr(pm.hook, hook).get_hookimpls()
        assert [i.opts["trylast"] for i in impls] == [True], hook


def test_core_registers_no_format() -> None:
    pm = make_plugin_manager(load_entrypoints=False)
    with use_plugin_manager(pm) as plugins:
        assert plugins.formats.extensions == []
        with pytest.raises(gokart.UnknownFormatError, match="pip install gokart-pickle"):
            gokart.make_target("x.pkl")


def test_registered_plugin_is_picked_up_by_extension(tmp_path: Path) -> None:
    pm = make_plugin_manager(load_entrypoints=False, plugins=[ThirdParty()])
    with use_plugin_manager(pm):
        target = gokart.make_target(str(tmp_path / "x.rev"))
        target.dump(b"abc")
        assert (tmp_path / "x.rev").read_bytes() == b"cba"
        assert target.load() == b"abc"


def test_override_replaces_a_builtin_format(tmp_path: Path) -> None:
    import gokart_pickle

    for order in ([gokart_pickle, OverridesPickle()], [OverridesPickle(), gokart_pickle]):
        with use_plugin_manager(make_plugin_manager(load_entrypoints=False, plugins=order)):
            target = gokart.make_target(str(tmp_path / "x.pkl"))
            assert isinstance(target.format, Reversed)
            target.dump(b"xyz")
            assert (tmp_path / "x.pkl").read_bytes() == b"zyx"


def test_misspelled_hook_fails_fast() -> None:
    class Typo:
        @hookimpl
        def gokart_register_format(self, registry: FormatRegistry) -> None: ...

    with pytest.raises(pluggy.PluginValidationError, match="unknown hook"):
        make_plugin_manager(load_entrypoints=False, plugins=[Typo()])


def test_a_plugin_wins_over_the_builtin_filesystem(tmp_path: Path) -> None:
    import fsspec

    seen: list[str] = []

    class Rewrite:
        @hookimpl
        def gokart_get_filesystem(self, url: str, storage_options: Any) -> Any:
            seen.append(url)
            return fsspec.filesystem("memory"), "/rewritten/" + url.rsplit("/", 1)[-1]

    import gokart_pickle

    pm = make_plugin_manager(load_entrypoints=False, plugins=[gokart_pickle, Rewrite()])
    with use_plugin_manager(pm):
        target = gokart.make_target(str(tmp_path / "x.pkl"))
        target.dump([1])
        assert seen == [str(tmp_path / "x.pkl")]
        assert fsspec.filesystem("memory").exists("/rewritten/x.pkl")
        assert not (tmp_path / "x.pkl").exists()
    fsspec.filesystem("memory").rm("/rewritten", recursive=True)


ENTRY_POINT_PLUGIN = """
from gokart_core import Format, hookimpl

class Upper(Format):
    name = "upper"
    binary = False
    def dump(self, obj, fp, context):
        fp.write(str(obj).upper())
    def load(self, fp, context):
        return fp.read()

@hookimpl
def gokart_register_formats(registry):
    registry.add("upper", "gokart_upper_ep:Upper", extensions=(".up",))
"""


@pytest.fixture
def entry_point_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A plugin installed as a distribution with an entry point (a .dist-info on sys.path)."""
    site = tmp_path / "site"
    (site / "gokart_upper_ep.py").parent.mkdir(parents=True)
    (site / "gokart_upper_ep.py").write_text(ENTRY_POINT_PLUGIN)
    dist = site / "gokart_upper_ep-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: gokart-upper-ep\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[gokart_core]\nupper = gokart_upper_ep\n")
    monkeypatch.syspath_prepend(str(site))
    return site


def test_entry_point_plugin_is_loaded(entry_point_plugin: Path, tmp_path: Path) -> None:
    with use_plugin_manager(make_plugin_manager()) as plugins:
        assert ".up" in plugins.formats.extensions
        target = gokart.make_target(str(tmp_path / "a.up"))
        target.dump("hello")
        assert target.load() == "HELLO"


def test_blocked_plugin_is_not_loaded(
    entry_point_plugin: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(manager.DISABLED_PLUGINS_ENV, "other, upper")
    with use_plugin_manager(make_plugin_manager()) as plugins:
        assert ".up" not in plugins.formats.extensions


def test_autoload_can_be_disabled(
    entry_point_plugin: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(manager.DISABLE_AUTOLOAD_ENV, "1")
    with use_plugin_manager(make_plugin_manager()) as plugins:
        assert ".up" not in plugins.formats.extensions


def test_default_manager_is_built_once_and_resettable() -> None:
    saved = manager._default
    try:
        manager.reset_plugins()
        first = manager.get_plugins()
        assert manager.get_plugins() is first
        assert gokart.get_plugin_manager() is first.pm
        manager.reset_plugins()
        assert manager.get_plugins() is not first
    finally:
        manager._default = saved
