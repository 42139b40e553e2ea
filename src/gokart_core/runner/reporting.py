"""The run report as builds ask for it: ``build(report=...)`` and ``run --report=PATH``.

The report itself is :mod:`gokart_core.report`, imported only when a build asks for one (it
brings the page and its layout library). Here: the ``--report`` flag taken out of luigi's
command line, and the report of the build that luigi's command line starts (it takes no
scheduler factory: the report's is made luigi's default for the time of the build).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

import luigi
import luigi.task_register

from gokart_core import luigi_internals
from gokart_core.luigi_internals.scheduler import as_luigi_default
from gokart_core.runner.observe import ObservedFactory

if TYPE_CHECKING:
    from gokart_core.report.live import LiveReport


@contextmanager
def build_report(url: str | None, roots: Sequence[luigi.Task] = ()) -> Iterator[LiveReport | None]:
    """The report of one build to ``url`` (None: no report, and nothing imported)."""
    if url is None:
        yield None
        return
    from gokart_core.report import live  # the page's code: only for a build that asks

    with live.build_report(url, roots) as report:
        yield report


def split_report_flag(args: Sequence[str]) -> tuple[list[str], str | None]:
    """Take ``--report=PATH`` (or ``--report PATH``) out of a command line; the rest, in order,
    is luigi's. When the root task has a parameter of its own named ``report``, a ``--report``
    after the task's name is the task's (luigi's rule: flags after the name are the task's),
    and only one before the name asks for the run report."""
    args = list(args)
    known, rest = _report_parser().parse_known_args(args)
    name = luigi_internals.root_task_name(rest)
    if name is None or name not in args or not _has_report_parameter(name):
        return rest, known.report
    at = args.index(name)
    known, head = _report_parser().parse_known_args(args[:at])
    return head + args[at:], known.report


def _report_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--report", default=None)
    return parser


def _has_report_parameter(name: str) -> bool:
    try:
        task_class = luigi.task_register.Register.get_task_cls(name)
    except luigi.task_register.TaskClassException:  # luigi tells of an unknown task later
        return False
    return "report" in dict(task_class.get_params())


@contextmanager
def on_the_command_line(url: str | None) -> Iterator[LiveReport | None]:
    """Inside the block, builds started by luigi's command line (which takes no factory) are
    observed by the report to ``url``; it is written when the block ends (``sys.exit`` too)."""
    if url is None:
        yield None
        return
    inner = luigi_internals.default_worker_scheduler_factory()  # the chosen scheduler's
    with build_report(url) as report:
        assert report is not None
        listener = report

        class Reporting(ObservedFactory):
            def __init__(self) -> None:
                super().__init__(inner, [listener])

        with as_luigi_default(Reporting):
            yield report
