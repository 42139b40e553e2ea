"""``gokart-core report [--output run.html] module.Task [--param value ...]``: the report of a
task drawn from its workspace, without running anything (:mod:`gokart_core.report.workspace`).

The task and its parameters are named as on ``run``'s command line (luigi's parser: the task's
parameters, ``--Other-param`` for other classes, the luigi config); ``module.Task`` imports
``module`` first. Exit codes: 0 written, 1 the page could not be written, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import sys

from luigi.cmdline_parser import CmdlineParser

from gokart_core.report.workspace import write_workspace_report
from gokart_core.runner.arguments import add_storage_options
from gokart_core.runner.command_line import with_task_by_module_path


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``report`` subcommand to ``gokart-core``'s parser."""
    report = commands.add_parser(
        "report",
        help="draw a task's run report from its workspace (nothing runs)",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    report.add_argument(
        "-o", "--output", default="run.html", help="the page: a path or a URL [run.html]"
    )
    add_storage_options(report, "filesystem options for the page's URL")
    report.add_argument("task", help="the task: module.Task (or its luigi family)")
    report.add_argument(
        "task_args", nargs=argparse.REMAINDER, help="the task's parameters, as luigi takes them"
    )


def main(args: argparse.Namespace) -> int:
    luigi_args = with_task_by_module_path([args.task, *args.task_args])
    try:
        with CmdlineParser.global_instance(luigi_args) as cmdline:
            task = cmdline.get_task_obj()
            data = write_workspace_report(task, args.output, args.storage_options)
    except SystemExit as exc:  # luigi's parser: a usage error
        return int(exc.code or 2) if isinstance(exc.code, int) else 2
    except OSError as exc:
        print(f"cannot write the report {args.output}: {exc}", file=sys.stderr)
        return 1
    totals = ", ".join(f"{n} {state}" for state, n in data["totals"].items() if n)
    print(f"wrote {args.output}: {len(data['tasks'])} tasks ({totals})", file=sys.stderr)
    return 0
