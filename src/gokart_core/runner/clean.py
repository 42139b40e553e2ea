"""``gokart-core clean WORKSPACE``: list, and remove, what writers that died left behind.

A dump already removes the leftovers of its own target (see
:mod:`gokart_core.target.leftovers`); this command sweeps a whole workspace, on any filesystem,
for outputs that were never written again: core's temporary files, each storage plugin's own
leftovers (``gokart_find_leftovers``: gokart-s3's incomplete multipart uploads) and, with
``--temporary-directory``, the staging folders of formats such as gokart-zip's. Whatever a live
writer holds is left alone: on local disk by its lock, elsewhere by age (``--older-than``).

Exit codes: 0 done (also when nothing was found), 1 a leftover could not be removed, 2 bad
arguments.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from gokart_core.plugin.manager import get_plugins
from gokart_core.runner.arguments import add_storage_options
from gokart_core.target.leftovers import Leftover, find_staging_folders


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``clean`` subcommand to ``gokart-core``'s parser."""
    clean = commands.add_parser(
        "clean", help="list and remove what writers that died left in a workspace"
    )
    clean.add_argument("workspace", help="the workspace: a folder or a URL (s3://bucket/prefix)")
    clean.add_argument(
        "--dry-run", action="store_true", help="list what would be removed; remove nothing"
    )
    clean.add_argument(
        "--older-than",
        type=float,
        default=3600.0,
        metavar="SECONDS",
        help="where no lock tells a live writer from a dead one (object stores, files of "
        "earlier versions): only what has not changed for this long [3600]",
    )
    clean.add_argument(
        "--temporary-directory",
        action="append",
        default=[],
        metavar="DIR",
        help="also the staging folders here (a task's local_temporary_directory); repeatable",
    )
    add_storage_options(clean, "filesystem options for the workspace, as a task's storage_options")


def find(
    workspace: str,
    older_than: float,
    temporary_directories: Sequence[str] = (),
    storage_options: dict[str, object] | None = None,
) -> list[Leftover]:
    """What is left in ``workspace`` (and in the staging ``temporary_directories``)."""
    plugins = get_plugins()
    fs, path = plugins.filesystem(workspace, storage_options or {})
    found = plugins.find_leftovers(fs, path, older_than)
    for directory in temporary_directories:
        found.extend(find_staging_folders(directory))
    return found


def main(args: argparse.Namespace) -> int:
    found = find(args.workspace, args.older_than, args.temporary_directory, args.storage_options)
    failed = 0
    for leftover in found:
        size = "" if leftover.size is None else f" ({leftover.size:,} bytes)"
        if args.dry_run:
            print(f"would remove {leftover.where}{size}")
            continue
        try:
            leftover.remove()
        except OSError as exc:
            failed += 1
            print(f"cannot remove {leftover.where}: {exc}", file=sys.stderr)
        else:
            print(f"removed {leftover.where}{size}")
    verb = "found" if args.dry_run else "removed"
    print(f"{len(found) - failed} leftover(s) {verb} in {args.workspace}", file=sys.stderr)
    return 1 if failed else 0
