"""The shape of the code, checked: layers as subpackages, small modules, a thin TaskOnKart, no
import cycle, luigi's private names in one package, plugins on one import of core."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "src" / "gokart_core"
PLUGIN_SOURCES = sorted((ROOT / "plugins").glob("*/src"))
BENCHMARKS = ROOT / "benchmarks"
LAYERS = ("task", "target", "plugin", "locks", "runner", "graph", "report", "testing")
MAX_MODULE_LINES = 300
MAX_BENCHMARK_MODULE_LINES = 400
MAX_TASK_ON_KART_LINES = 250


def _modules(root: Path) -> Iterator[Path]:
    yield from sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def _longer_than(root: Path, limit: int) -> dict[str, int]:
    """The modules under ``root`` of more than ``limit`` lines, with their line counts."""
    return {
        str(p.relative_to(ROOT)): n
        for p in _modules(root)
        if (n := len(p.read_text().splitlines())) > limit
    }


def _name(path: Path) -> str:
    parts = list(path.relative_to(CORE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _runtime_imports(path: Path) -> set[str]:
    """The gokart_core modules ``path`` imports when it is imported (not under TYPE_CHECKING,
    not inside functions)."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    package = _name(path) if path.name == "__init__.py" else _name(path).rpartition(".")[0]
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for sub in ast.walk(node) if isinstance(node, (ast.If, ast.Try)) else [node]:
            if isinstance(sub, ast.Import):
                found.update(a.name for a in sub.names if a.name.startswith("gokart_core"))
            elif isinstance(sub, ast.ImportFrom) and sub.module is not None:
                module = sub.module if not sub.level else f"{package}.{sub.module}"
                if module.startswith("gokart_core"):
                    for alias in sub.names:
                        candidate = f"{module}.{alias.name}"
                        is_module = (CORE.parent / candidate.replace(".", "/")).with_suffix(
                            ".py"
                        ).exists() or (CORE.parent / candidate.replace(".", "/")).is_dir()
                        found.add(candidate if is_module else module)
    return found


def test_each_layer_is_a_subpackage_with_a_docstring() -> None:
    for layer in LAYERS:
        init = CORE / layer / "__init__.py"
        assert init.exists(), layer
        docstring = ast.get_docstring(ast.parse(init.read_text()))
        assert docstring, f"{layer}/__init__.py has no docstring"


@pytest.mark.parametrize("root", [CORE, *PLUGIN_SOURCES], ids=lambda p: p.parent.name)
def test_no_module_is_over_300_lines(root: Path) -> None:
    assert _longer_than(root, MAX_MODULE_LINES) == {}


def test_no_benchmark_module_is_over_400_lines() -> None:
    assert _longer_than(BENCHMARKS, MAX_BENCHMARK_MODULE_LINES) == {}


def test_the_task_on_kart_class_body_is_thin() -> None:
    tree = ast.parse((CORE / "task" / "task.py").read_text())
    (cls,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "TaskOnKart"]
    assert cls.end_lineno is not None
    assert cls.end_lineno - cls.lineno + 1 < MAX_TASK_ON_KART_LINES


def test_the_runtime_import_graph_has_no_cycle() -> None:
    graph = {_name(p): _runtime_imports(p) for p in _modules(CORE)}
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt == node or nxt not in graph:
                continue
            if state.get(nxt) == 1:
                raise AssertionError(" -> ".join([*path[path.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for name in sorted(graph):
        if name not in state:
            visit(name)


def _names_used(path: Path) -> Iterator[tuple[int, str]]:
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            text = ast.unparse(node)
            if text.startswith("luigi.") or ".parameter._" in text:
                yield node.lineno, text
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("luigi"):
            for alias in node.names:
                if alias.name.startswith("_"):
                    yield node.lineno, f"from {node.module} import {alias.name}"


def test_luigi_private_names_sit_in_one_package() -> None:
    found = {
        f"{p.relative_to(ROOT)}:{line}": text
        for p in _modules(CORE)
        if "luigi_internals" not in p.relative_to(CORE).parts
        for line, text in _names_used(p)
    }
    assert found == {}


@pytest.mark.parametrize("src", PLUGIN_SOURCES, ids=lambda p: p.parent.name)
def test_plugins_import_only_the_plugin_api(src: Path) -> None:
    used = set()
    for path in _modules(src):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gokart_core"):
                used.add(node.module)
            elif isinstance(node, ast.Import):
                used.update(a.name for a in node.names if a.name.startswith("gokart_core"))
    assert used <= {"gokart_core.plugin_api"}


def test_tests_mirror_the_layers() -> None:
    tests = ROOT / "tests"
    for layer in (layer for layer in LAYERS if layer != "testing"):
        folder = tests / layer
        assert any(folder.glob("test_*.py")), f"tests/{folder.name}/ has no tests"


def _all_imports(path: Path) -> set[str]:
    """Every gokart_core module ``path`` names in an import, inside functions too."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("gokart_core"))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gokart_core"):
            found.add(str(node.module))
    return found


def test_the_report_layer_never_imports_the_runner() -> None:
    """The runner builds and reports (it calls the report); the report draws pages and knows
    nothing of builds: not even a function-level import."""
    upward = {
        _name(p): sorted(m for m in _all_imports(p) if m.startswith("gokart_core.runner"))
        for p in _modules(CORE / "report")
    }
    assert {k: v for k, v in upward.items() if v} == {}
