"""``.. gokart-hooks::`` (in an ``{eval-rst}`` block): the hook reference, generated when the docs
are built.

Everything comes from a plugin manager of the installed gokart-core: each hook specification's
signature, docstring and pluggy options (``firstresult`` or collect-all), core's own
implementation, and which installed plugin distributions implement it. Change a hook in the
specification and the reference follows; nothing here names a hook.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

from gokart_core import plugin_api
from gokart_core.testing import builtins_only_plugin_manager

#: pluggy's project name: the hook markers' attribute prefix and the entry point group.
PROJECT: str = plugin_api.hookimpl.project_name


@dataclass(frozen=True)
class Implementation:
    """One implementation of a hook: who provides it and with which pluggy options."""

    owner: str  # "core" or a distribution's name
    options: Mapping[str, Any]


@dataclass(frozen=True)
class Hook:
    """A hook specification as the plugin manager holds it."""

    name: str
    function: Callable[..., Any]
    options: Mapping[str, Any]
    implementations: tuple[Implementation, ...]

    @property
    def firstresult(self) -> bool:
        return bool(self.options.get("firstresult"))

    @property
    def builtin(self) -> Implementation | None:
        return next((i for i in self.implementations if i.owner == "core"), None)

    @property
    def plugins(self) -> list[str]:
        return sorted({i.owner for i in self.implementations if i.owner != "core"})

    @property
    def returns(self) -> str:
        return annotation(inspect.signature(self.function).return_annotation)


def annotation(value: Any) -> str:
    """An annotation as written in the source (``from __future__ import annotations`` keeps it
    a string), or ``inspect``'s rendering of an evaluated one."""
    if value is inspect.Signature.empty:
        return ""
    return value if isinstance(value, str) else inspect.formatannotation(value)


def signature(function: Callable[..., Any]) -> str:
    sig = inspect.signature(function)
    params = ", ".join(
        f"{p.name}: {annotation(p.annotation)}" if p.annotation is not p.empty else p.name
        for p in sig.parameters.values()
    )
    returns = annotation(sig.return_annotation)
    return f"({params})" + (f" -> {returns}" if returns else "")


def collect_hooks() -> list[Hook]:
    """Every hook of a plugin manager with core's builtins and the installed plugins, in the
    order the specification module defines them."""
    pm = builtins_only_plugin_manager()
    core = {pm.get_name(plugin) for plugin in pm.get_plugins()}
    pm.load_setuptools_entrypoints(PROJECT)
    dists = {pm.get_name(plugin): dist.project_name for plugin, dist in pm.list_plugin_distinfo()}
    hooks = []
    for name, caller in vars(pm.hook).items():
        spec = getattr(caller, "spec", None)
        if spec is None:
            continue
        implementations = tuple(
            Implementation(
                "core" if impl.plugin_name in core else dists.get(impl.plugin_name, "?"),
                {k: v for k, v in impl.opts.items() if v and k != "specname"},
            )
            for impl in caller.get_hookimpls()
        )
        hooks.append(Hook(name, spec.function, dict(spec.opts), implementations))
    return sorted(hooks, key=lambda hook: inspect.getsourcelines(hook.function)[1])


def kind_text(hook: Hook) -> str:
    if hook.firstresult:
        return (
            "**firstresult**: implementations are called one after another, plugins before "
            "core's builtin, until one returns something other than ``None``; that is the "
            "answer."
        )
    return "**collect-all**: every implementation is called, plugins before core's builtin."


def none_text(hook: Hook) -> str:
    if hook.firstresult:
        if hook.builtin is not None:
            return (
                "passes: the next implementation is asked, and core's builtin answers when no "
                "plugin does."
            )
        return "passes to the next implementation; when all pass, core gets ``None``."
    if hook.returns in ("", "None"):
        return "expected: the hook is a notification and the return value is ignored."
    return "adds nothing: every other result is collected into the list core gets."


def implementers_text(hook: Hook, plugin_pages: set[str]) -> str:
    parts = []
    builtin = hook.builtin
    if builtin is not None:
        flags = ", ".join(sorted(builtin.options))
        parts.append(f"core's builtin ({flags})" if flags else "core's builtin")
    for dist in hook.plugins:
        page = f"plugins/{dist}"
        parts.append(f":doc:`/{page}`" if page in plugin_pages else f"``{dist}``")
    return ", ".join(parts) or "nothing installed"


def hook_lines(hook: Hook, plugin_pages: set[str]) -> Iterator[str]:
    # The module of the hook: its docstring's references resolve there.
    yield f".. py:currentmodule:: {hook.function.__module__}"
    yield ""
    yield f".. py:function:: {hook.name}{signature(hook.function)}"
    yield ""
    yield f"   :Kind: {kind_text(hook)}"
    if hook.options.get("historic"):
        yield "   :Historic: a plugin registered late is called with the earlier calls' arguments."
    if hook.options.get("warn_on_impl"):
        yield f"   :Deprecated: {hook.options['warn_on_impl']}"
    yield f"   :Returning None: {none_text(hook)}"
    params = inspect.signature(hook.function).parameters.values()
    yield "   :Parameters:"
    for p in params:
        typed = f" (``{annotation(p.annotation)}``)" if p.annotation is not p.empty else ""
        yield f"      - ``{p.name}``{typed}"
    if hook.returns:
        yield f"   :Returns: ``{hook.returns}``"
    yield f"   :Implemented by: {implementers_text(hook, plugin_pages)}"
    yield ""
    for line in (inspect.getdoc(hook.function) or "(no docstring)").splitlines():
        yield f"   {line}" if line else ""
    yield ""


def summary_lines(hooks: list[Hook], plugin_pages: set[str]) -> Iterator[str]:
    yield ".. list-table::"
    yield "   :header-rows: 1"
    yield ""
    yield "   * - hook"
    yield "     - kind"
    yield "     - implemented by"
    for hook in hooks:
        yield f"   * - :func:`~{hook.function.__module__}.{hook.name}`"
        yield f"     - {'firstresult' if hook.firstresult else 'collect-all'}"
        yield f"     - {implementers_text(hook, plugin_pages)}"
    yield ""


class HookReference(SphinxDirective):
    """The summary table and one entry per hook."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        hooks = collect_hooks()
        if not hooks:
            raise self.error("the plugin manager has no hook specification")
        pages = {doc for doc in self.env.found_docs if doc.startswith("plugins/")}
        lines = list(summary_lines(hooks, pages))
        for hook in hooks:
            lines += hook_lines(hook, pages)
        container = nodes.container()
        nested_parse_with_titles(self.state, StringList(lines, source="gokart-hooks"), container)
        return list(container.children)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("gokart-hooks", HookReference)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
