"""What ``run()`` writes instead of running: the dependency tree (gokart's ``--tree-info-mode``
and ``--tree-info-output-path``) and the dependency graph (``--graph-output``).

- ``--tree-info-mode=simple`` (or ``all``, with parameters, output paths, run times and task
  logs) writes :func:`~gokart_core.graph.tree.make_task_info_as_tree_str` to
  ``--tree-info-output-path`` (``tree.txt``). As in gokart, whose ``tree_info`` is a task of its
  own, that path is inside the workspace of ``tree_info``, not the root task's: from
  ``--tree-info-workspace-directory``, else ``[tree_info] workspace_directory``, else
  ``[TaskOnKart] workspace_directory``, else ``./resources/``. An absolute path or a URL is
  used as it is. ``[tree_info] mode`` / ``output_path`` in the luigi config work too, and
  ``storage_options`` comes from ``[tree_info]`` or ``[TaskOnKart]``.
- ``--graph-output=PATH`` writes :func:`~gokart_core.graph.tree.make_task_graph`: Mermaid for
  ``.mmd``/``.mermaid``, Graphviz DOT for ``.dot``/``.gv``. ``PATH`` is relative to the current
  directory (or any fsspec URL).

Either flag, or both, writes its file (atomically) and exits with 0 without running a task.
The flags are taken out of the arguments before luigi reads them, so they work whether or not
a ``tree_info`` task class (gokart's) is registered.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import luigi
import luigi.configuration
from luigi.cmdline_parser import CmdlineParser

from gokart_core import luigi_internals
from gokart_core.graph.tree import make_task_graph, make_task_info_as_tree_str
from gokart_core.plugin.manager import get_plugins
from gokart_core.target import storage
from gokart_core.task import TaskOnKart
from gokart_core.task.lookup import SHARED_CONFIG_SECTION

TREE_MODES = ("simple", "all")

#: The config section of gokart's ``tree_info`` task.
TREE_INFO_SECTION = "tree_info"

GRAPH_FORMATS: dict[str, Literal["mermaid", "dot"]] = {
    ".mmd": "mermaid",
    ".mermaid": "mermaid",
    ".dot": "dot",
    ".gv": "dot",
}


class UsageError(ValueError):
    """A flag of ``run()`` has a value it cannot use; the message names the flag."""


@dataclass(frozen=True)
class InfoRequest:
    """What to write instead of running; ``wanted`` is false when nothing is."""

    tree_mode: str = ""
    tree_output_path: str = "tree.txt"
    #: ``--tree-info-workspace-directory``; None: from the config (see :func:`tree_info_location`).
    tree_workspace_directory: str | None = None
    graph_output: str | None = None

    @property
    def wanted(self) -> bool:
        return bool(self.tree_mode) or self.graph_output is not None


def split_info_flags(args: Sequence[str]) -> tuple[InfoRequest, list[str]]:
    """Take the tree and graph flags out of ``args``; the rest, in order, is luigi's.

    Raises :class:`UsageError` for a tree mode other than simple/all or a graph file whose
    suffix names no graph format.
    """
    config = luigi.configuration.get_config()
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--tree-info-mode", default=config.get(TREE_INFO_SECTION, "mode", ""))
    parser.add_argument(
        "--tree-info-output-path", default=config.get(TREE_INFO_SECTION, "output_path", "tree.txt")
    )
    parser.add_argument("--tree-info-workspace-directory", default=None)
    parser.add_argument("--graph-output", default=None)
    known, rest = parser.parse_known_args(list(args))
    request = InfoRequest(
        tree_mode=str(known.tree_info_mode),
        tree_output_path=str(known.tree_info_output_path),
        tree_workspace_directory=known.tree_info_workspace_directory,
        graph_output=known.graph_output,
    )
    if request.tree_mode and request.tree_mode not in TREE_MODES:
        raise UsageError(f'--tree-info-mode must be "simple" or "all", not "{request.tree_mode}"')
    if request.graph_output is not None:
        graph_format(request.graph_output)
    return request, rest


def graph_format(path: str) -> Literal["mermaid", "dot"]:
    """The graph format that ``path``'s suffix names."""
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in GRAPH_FORMATS:
        raise UsageError(
            f"--graph-output={path}: the suffix must be one of {', '.join(GRAPH_FORMATS)} "
            "(.mmd/.mermaid for Mermaid, .dot/.gv for Graphviz DOT)"
        )
    return GRAPH_FORMATS[suffix]


def write_info(request: InfoRequest, luigi_args: Sequence[str]) -> list[str]:
    """Write what ``request`` asks for about the task that ``luigi_args`` names; return the
    paths written. Task parameters on the command line apply, as they would to a run."""
    written: list[str] = []
    with CmdlineParser.global_instance(list(luigi_args)) as parser:
        root: luigi.Task = parser.get_task_obj()
        options: dict[str, Any] = dict(getattr(root, "storage_options", None) or {})
        if request.tree_mode:
            workspace, tree_options = tree_info_location(request.tree_workspace_directory)
            path = request.tree_output_path
            if "://" not in path:
                path = os.path.join(workspace, path)
            text = make_task_info_as_tree_str(root, details=request.tree_mode == "all")
            _write_text(path, text, tree_options)
            written.append(path)
        if request.graph_output is not None:
            text = make_task_graph(root, format=graph_format(request.graph_output))
            _write_text(request.graph_output, text, options)
            written.append(request.graph_output)
    return written


def tree_info_location(workspace_directory: str | None = None) -> tuple[str, dict[str, Any]]:
    """The workspace and storage options of gokart's ``tree_info`` task, where the tree goes.

    ``workspace_directory`` (the command line's) first; then, for each, the ``[tree_info]``
    section of the luigi config, ``[TaskOnKart]``, and TaskOnKart's default (``./resources/``):
    the precedence a TaskOnKart subclass named ``tree_info`` has.
    """
    params = dict(TaskOnKart.get_params())

    def configured(name: str) -> Any:
        param = params[name]
        config = luigi.configuration.get_config()
        for section in (TREE_INFO_SECTION, SHARED_CONFIG_SECTION):
            for key in (name, name.replace("_", "-")):
                if config.has_option(section, key):
                    return param.normalize(param.parse(config.get(section, key)))
        return param.normalize(luigi_internals.default_of(param))

    workspace = (
        configured("workspace_directory") if workspace_directory is None else workspace_directory
    )
    return str(workspace), storage.thaw(configured("storage_options") or {})


def _write_text(url: str, text: str, storage_options: dict[str, Any]) -> None:
    fs, path = get_plugins().filesystem(url, storage_options)
    with storage.atomic_write(fs, path) as fp:
        fp.write(text.encode("utf-8"))


def run_info_or_continue(args: Sequence[str]) -> list[str]:
    """The arguments for luigi, after writing and exiting (code 0) when a tree or graph flag
    asked for that. A bad flag value exits with 2 and a one-line message."""
    try:
        request, rest = split_info_flags(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    if not request.wanted:
        return rest
    for path in write_info(request, rest):
        print(f"gokart: wrote {path}", file=sys.stderr)
    sys.exit(0)


__all__ = [
    "GRAPH_FORMATS",
    "InfoRequest",
    "UsageError",
    "graph_format",
    "run_info_or_continue",
    "split_info_flags",
    "tree_info_location",
    "write_info",
]
