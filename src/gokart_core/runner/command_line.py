"""The command line: ``run()``, what ``python main.py module.Task ...`` calls (gokart's)."""

from __future__ import annotations

import importlib
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

import luigi
import luigi.cmdline
import luigi.configuration
import luigi.task_register

from gokart_core import luigi_internals
from gokart_core.plugin.manager import get_plugins
from gokart_core.runner import reporting as run_report
from gokart_core.runner import scheduler, unnecessary_outputs
from gokart_core.runner import summary as build_summary
from gokart_core.runner.run_info import run_info_or_continue
from gokart_core.target.existence import existence_cache
from gokart_core.testing.empty_data_frame import try_to_run_test_for_empty_data_frame

#: gokart's exit codes of ``run()``; a value set in the ``[retcode]`` config section wins.
RETCODES = {
    "already_running": 10,
    "missing_data": 20,
    "not_run": 30,
    "task_failed": 40,
    "scheduling_error": 50,
}


def run(cmdline_args: Sequence[str] | None = None, set_retcode: bool = True) -> None:
    """The command line: ``python main.py module.Task --local-scheduler --param x``.

    An unknown task name, or a parameter value that does not parse (``--n abc`` for an
    ``IntParameter``), exits with 2 and a one-line message naming it, like other usage errors.
    Otherwise exits with gokart's codes: 10 already running, 20 missing data, 30 not run, 40 failed,
    50 scheduling error (unless the ``[retcode]`` config section sets others).

    ``--graph-output=graph.mmd`` (or ``.mermaid``, ``.dot``, ``.gv``) writes the dependency
    graph with each task's state, and gokart's ``--tree-info-mode=simple|all``
    (``--tree-info-output-path``, default ``tree.txt`` in the workspace of gokart's
    ``tree_info`` task: ``--tree-info-workspace-directory``, ``[tree_info]``, ``[TaskOnKart]``
    or ``./resources/``) the dependency tree;
    either then exits with 0 without running (see :mod:`gokart_core.runner.run_info`).
    ``--delete-unnecessary-output-files`` removes the workspace's files that the task's graph
    does not output, and exits with 0 (:mod:`gokart_core.runner.unnecessary_outputs`).
    ``--report=run.html`` writes the build's run report (:mod:`gokart_core.report`).
    """
    started = time.monotonic()
    # The plugins first: their config classes ([SlackConfig], [gokart_s3]) take flags too.
    get_plugins()
    args = list(sys.argv[1:] if cmdline_args is None else cmdline_args)
    if set_retcode:
        config = luigi.configuration.get_config()
        for name, code in RETCODES.items():
            if not config.has_option("retcode", name):
                config.set("retcode", name, str(code))
    with existence_cache.scope():
        try:
            # --tree-info-mode / --graph-output: write the tree or graph and exit instead.
            args = with_task_by_module_path(args)
            args, report = run_report.split_report_flag(args)  # --report=run.html
            args = run_info_or_continue(args)
            try_to_run_test_for_empty_data_frame(args)  # --test-run-pandas: test, exit
            bad_value = luigi_internals.cmdline_parameter_error(args)
            if bad_value is not None:  # a usage error, as an unknown task: no traceback
                print(f"error: {bad_value}", file=sys.stderr)
                sys.exit(2)
            unnecessary_outputs.delete_or_continue(args)
            workers: list[Any] = []  # the build's worker: what it did, for the plugins
            try:
                with (
                    scheduler.on_the_command_line(workers.append),
                    run_report.on_the_command_line(report),
                ):
                    luigi.cmdline.luigi_run(args)
            except SystemExit:  # luigi's command line always exits
                build_summary.notify_run(workers, started, args)
                raise
        except luigi.task_register.TaskClassException as exc:
            # An unknown or ambiguous task name is a usage error, not a crash: no traceback.
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(2)


def with_task_by_module_path(args: list[str]) -> list[str]:
    """``args`` with a root task named by its module path (``mymodule.Root``, as the README
    writes it) renamed to the family luigi knows it by (``Root``, or ``ns.Root`` in a
    ``task_namespace``), after importing the module; unchanged when luigi knows the name
    already, or when no module has such a class (luigi then says there is no such task)."""
    name = luigi_internals.root_task_name(args)
    if name is None or "." not in name:
        return args
    try:
        luigi.task_register.Register.get_task_cls(name)
        return args  # a task_namespace'd family: luigi's own
    except luigi.task_register.TaskClassException:
        pass
    module_name, class_name = name.rsplit(".", 1)
    main = sys.modules.get("__main__")
    main_file = getattr(main, "__file__", None) or ""
    if os.path.splitext(os.path.basename(main_file))[0] == module_name:
        module = main  # the script itself: importing it again would run it again
    else:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            return args
    cls = getattr(module, class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, luigi.Task)):
        return args
    at = args.index(name)
    return [*args[:at], cls.get_task_family(), *args[at + 1 :]]
