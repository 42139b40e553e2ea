"""``.. gokart-plugin:: <distribution>`` (in an ``{eval-rst}`` block): a plugin's reference,
generated when the docs are built.

From the installed distribution: the docstrings of its entry point modules, how to install it,
its dependencies and extras, the hooks it implements, the formats it registers (extensions,
objects, options) and the luigi config sections it reads, with every option. The build also
warns (an error under ``-W``) when a distribution under ``plugins/`` has no page.
"""

from __future__ import annotations

import importlib.metadata
import inspect
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import luigi
from docutils import nodes
from docutils.statemachine import StringList
from packaging.requirements import Requirement
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

from gokart_core import plugin_api
from gokart_core.plugin.install_hints import REPOSITORY_URL
from gokart_core.testing import builtins_only_plugin_manager

PROJECT: str = plugin_api.hookimpl.project_name
logger = logging.getLogger(__name__)


def entry_point_modules(dist: importlib.metadata.Distribution) -> list[ModuleType]:
    return [ep.load() for ep in dist.entry_points if ep.group == PROJECT]


def implemented_hooks(module: ModuleType) -> list[str]:
    marker = f"{PROJECT}_impl"
    return sorted(
        (getattr(fn, marker).get("specname") or name)
        for name, fn in vars(module).items()
        if callable(fn) and hasattr(fn, marker)
    )


def registered_formats(modules: list[ModuleType]) -> plugin_api.FormatRegistry:
    """What the plugin registers, asked as core asks it: through a plugin manager."""
    pm = builtins_only_plugin_manager(*modules)
    registry = plugin_api.FormatRegistry()
    pm.hook.gokart_register_formats(registry=registry)
    return registry


def cell(text: str) -> str:
    return text.replace("\n", " ") or "\\-"


def pip_lines(dists: list[importlib.metadata.Distribution]) -> Iterator[str]:
    """How to install ``dists`` while they are not on PyPI: from the repository (a plugin is
    its folder ``plugins/<name>``), or from the wheels of ``nox -s build``."""
    yield ".. code-block:: bash"
    yield ""
    yield "   # from the repository"
    for dist in dists:
        name = dist.metadata["Name"]
        folder = "" if name == "gokart-core" else f"#subdirectory=plugins/{name}"
        yield f'   pip install "{name} @ git+{REPOSITORY_URL}{folder}"'
    yield "   # from a clone, after nox -s build"
    wheels = (
        f"dist/{d.metadata['Name'].replace('-', '_')}-{d.version}-py3-none-any.whl" for d in dists
    )
    yield f"   pip install {' '.join(wheels)}"
    yield ""


def install_lines(dist: importlib.metadata.Distribution) -> Iterator[str]:
    name = dist.metadata["Name"]
    yield ".. rubric:: Install"
    yield ""
    yield f"Not on PyPI yet (then: ``pip install {name}``). With gokart-core installed:"
    yield ""
    yield from pip_lines([dist])
    yield f"or ``pip install ./plugins/{name}`` from a clone."
    yield ""
    requirements = [Requirement(r) for r in dist.requires or []]
    plain = [str(r) for r in requirements if r.marker is None]
    yield f"Requires: {', '.join(f'``{r}``' for r in plain) or 'nothing else'}."
    yield ""
    for extra in dist.metadata.get_all("Provides-Extra") or []:
        wanted = [
            f"``{r.name}{r.specifier}``"
            for r in requirements
            if r.marker is not None and r.marker.evaluate({"extra": extra})
        ]
        yield f"- extra ``{name}[{extra}]``: {', '.join(wanted)}"
    yield ""


def spec_modules() -> dict[str, str]:
    """Each hook's specification module, for references to the hook reference."""
    pm = builtins_only_plugin_manager()
    return {
        name: caller.spec.function.__module__
        for name, caller in vars(pm.hook).items()
        if getattr(caller, "spec", None) is not None
    }


def hook_lines(modules: list[ModuleType]) -> Iterator[str]:
    yield ".. rubric:: Hooks"
    yield ""
    specs = spec_modules()
    for module in modules:
        hooks = implemented_hooks(module)
        refs = ", ".join(f":func:`~{specs[hook]}.{hook}`" for hook in hooks) or "none"
        yield f"Entry point ``{PROJECT}`` → ``{module.__name__}``, implementing {refs}."
    yield ""


def format_lines(registry: plugin_api.FormatRegistry) -> Iterator[str]:
    if not registry.names:
        return
    yield ".. rubric:: Formats"
    yield ""
    yield ".. list-table::"
    yield "   :header-rows: 1"
    yield ""
    yield "   * - format"
    yield "     - extensions"
    yield "     - objects"
    yield "     - ``format_options``"
    for name in registry.names:
        entry = registry.entry_for_name(name)
        cls = entry.load_class()
        declared = getattr(cls, "option_names", None)  # a convention, not the base class's
        if declared is not None:
            options = ", ".join(f"``{o}``" for o in sorted(declared)) or "none"
        else:
            options = "not declared" if cls.binary else "``encoding`` (text), others not declared"
        exts = " ".join(f"``{e}``" for e in entry.extensions) or f"by name: ``format={name!r}``"
        yield f"   * - ``{name}``"
        yield f"     - {exts}"
        yield f"     - {cell(cls.accepted)}"
        yield f"     - {options}"
    yield ""


def config_classes(module: ModuleType) -> list[type[luigi.Config]]:
    package = module.__name__.split(".")[0]
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, luigi.Config)
        and value.__module__.split(".")[0] == package
    ]


def config_lines(modules: list[ModuleType]) -> Iterator[str]:
    for cls in (c for module in modules for c in config_classes(module)):
        section = cls.get_task_family()
        yield f".. rubric:: Configuration: ``[{section}]``"
        yield ""
        own_doc = inspect.cleandoc(cls.__dict__.get("__doc__") or "")  # not luigi.Config's
        yield from own_doc.splitlines()
        yield ""
        yield (
            "Each option is also a command-line flag, "
            f"``--{section.replace('_', '-')}-<option with dashes>``."
        )
        yield ""
        yield ".. list-table::"
        yield "   :header-rows: 1"
        yield ""
        yield "   * - option"
        yield "     - parameter"
        yield "     - default"
        yield "     - description"
        for name, param in cls.get_params():
            default = getattr(param, "_default", None)  # luigi has no public accessor
            shown = "" if default is luigi.parameter._no_value else f"``{default!r}``"
            yield f"   * - ``{name}``"
            yield f"     - ``{type(param).__name__}``"
            yield f"     - {cell(shown)}"
            yield f"     - {cell(param.description or '')}"
        yield ""


class PluginReference(SphinxDirective):
    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0]
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            raise self.error(
                f"{name} is not installed: the docs session installs every plugin"
            ) from None
        modules = entry_point_modules(dist)
        if not modules:
            raise self.error(f"{name} has no entry point in the group {PROJECT!r}")
        lines = [f"*{dist.metadata['Summary']}* (version {dist.version})", ""]
        for module in modules:
            lines += [*(inspect.getdoc(module) or "").splitlines(), ""]
        lines += install_lines(dist)
        lines += hook_lines(modules)
        lines += format_lines(registered_formats(modules))
        lines += config_lines(modules)
        return parse(self, lines, name)


class InstallCommands(SphinxDirective):
    """``.. gokart-install:: gokart-core gokart-pickle``: the commands that install those."""

    required_arguments = 1
    final_argument_whitespace = True
    has_content = False

    def run(self) -> list[nodes.Node]:
        try:
            dists = [importlib.metadata.distribution(name) for name in self.arguments[0].split()]
        except importlib.metadata.PackageNotFoundError as exc:
            raise self.error(f"{exc} is not installed") from None
        return parse(self, list(pip_lines(dists)), "gokart-install")


def parse(directive: SphinxDirective, lines: list[str], source: str) -> list[nodes.Node]:
    container = nodes.container()
    nested_parse_with_titles(directive.state, StringList(lines, source=source), container)
    return list(container.children)


def check_pages(app: Sphinx) -> None:
    """Warn about a plugin folder without its page, and a page without its plugin."""
    root = Path(app.srcdir).parent
    plugins = {p.name for p in (root / "plugins").iterdir() if (p / "pyproject.toml").exists()}
    pages = {p.stem for p in (Path(app.srcdir) / "plugins").glob("gokart-*.md")}
    for name in sorted(plugins - pages):
        logger.warning("plugins/%s has no page docs/plugins/%s.md", name, name)
    for name in sorted(pages - plugins):
        logger.warning("docs/plugins/%s.md documents no folder plugins/%s", name, name)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("gokart-plugin", PluginReference)
    app.add_directive("gokart-install", InstallCommands)
    app.connect("builder-inited", check_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
