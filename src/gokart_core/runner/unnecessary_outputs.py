"""gokart's ``delete_unnecessary_output_files``: remove the files of a workspace that no task of
a graph outputs, such as the outputs of parameters no longer used.

``run()`` with ``--delete-unnecessary-output-files`` (a parameter of every ``TaskOnKart``) does
this for the task on the command line and exits with 0 without running anything, as gokart
does; :func:`delete_local_unnecessary_outputs` is the same for a task in Python.

What stays: every output of the task and of everything upstream (as their unique ids name them
now), everything under ``{workspace}/log/``, and names without a dot (folders, and gokart's
rule: only ``*.*`` counts as an output). Everything else under ``workspace_directory`` goes:
outputs of other pipelines sharing the workspace too, which is why the switch is explicit.
gokart does this on local workspaces only; here any fsspec workspace is served the same way.
"""

from __future__ import annotations

import logging
import posixpath
import sys
from collections.abc import Sequence
from typing import Any

import luigi.task
from luigi.cmdline_parser import CmdlineParser

from gokart_core.plugin.manager import get_plugins
from gokart_core.task import TaskOnKart

logger = logging.getLogger(__name__)


def _output_paths(task: TaskOnKart[Any]) -> set[str]:
    """The filesystem paths of the outputs of ``task`` and everything upstream (each task once,
    without recursion: graphs may be deep)."""
    paths: set[str] = set()
    seen: set[int] = set()
    stack: list[Any] = [task]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        for target in luigi.task.flatten(current.output()):
            fs_path = getattr(target, "fs_path", None)  # a TargetOnKart; else luigi's own
            paths.add(str(fs_path if fs_path is not None else target.path).rstrip("/"))
        stack.extend(luigi.task.flatten(current.requires()))
    return paths


def unnecessary_outputs(task: TaskOnKart[Any]) -> list[str]:
    """The files of ``task``'s workspace that :func:`delete_local_unnecessary_outputs` removes,
    sorted (paths as the workspace's filesystem names them)."""
    fs, root = get_plugins().filesystem(task.workspace_directory, dict(task.storage_options))
    root = root.rstrip("/")
    logs = f"{root}/log/"
    necessary = _output_paths(task)
    try:
        files = fs.find(root)
    except FileNotFoundError:
        return []
    return sorted(
        path
        for path in (str(f) for f in files)
        if "." in posixpath.basename(path) and not path.startswith(logs) and path not in necessary
    )


def delete_local_unnecessary_outputs(task: TaskOnKart[Any]) -> None:
    """Remove the workspace's files that no task of ``task``'s graph outputs (see above)."""
    fs, _ = get_plugins().filesystem(task.workspace_directory, dict(task.storage_options))
    files = unnecessary_outputs(task)
    if not files:
        logger.info("all files are necessary for this task.")
        return
    logger.info("remove following files:\n %s", "\n".join(files))
    for path in files:
        fs.rm_file(path)


def delete_or_continue(args: Sequence[str]) -> None:
    """``run()``'s check: when the command line's task sets ``delete_unnecessary_output_files``,
    remove the unnecessary files and exit with 0. (The flag, or ``[TaskOnKart]`` in the config:
    the task is made to know.)"""
    if any(arg in ("-h", "--help", "--help-all") for arg in args):
        return  # luigi prints the help
    with CmdlineParser.global_instance(list(args)) as parser:
        try:
            task = parser.get_task_obj()
        except Exception:  # a missing parameter, say: luigi's run reports it as it does
            return
        if isinstance(task, TaskOnKart) and task.delete_unnecessary_output_files:
            delete_local_unnecessary_outputs(task)
            sys.exit(0)


__all__ = ["delete_local_unnecessary_outputs", "delete_or_continue", "unnecessary_outputs"]
