"""gokart's test run of a pipeline: ``python main.py module.Task --test-run-pandas`` builds the
task, then runs the ``run()`` of every task of its graph once more with ``dump`` switched off,
and reports each as ``status=OK`` or ``status=NG`` (with the exception); it exits with 1 if any
failed, else 0. ``--test-run-namespace=NS`` tests only the tasks of that ``task_namespace``.

Point the pipeline at empty inputs (an empty DataFrame from the first task, through a config of
its own) and the second pass shows which tasks cannot handle one. Unlike gokart, whose second
pass calls the instance's ``run`` (which skips, the outputs being complete), the class's own
``run`` is called, so every task's code really runs again.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from unittest import mock

import luigi
import luigi.configuration
import luigi.task
from luigi.cmdline_parser import CmdlineParser

from gokart_core.errors import GokartBuildError
from gokart_core.runner.build import build
from gokart_core.task import TaskOnKart

logger = logging.getLogger(__name__)


class test_run(TaskOnKart[Any]):
    """The options of a test run: ``--test-run-pandas``, ``--test-run-namespace``."""

    __test__ = False  # not a pytest test class, whatever its name
    pandas: bool = luigi.BoolParameter()
    namespace: str | None = luigi.OptionalStrParameter(
        default=None,
        description='Test only this task_namespace ("__not_user_specified" for none given).',
    )


@dataclass
class TestStatus:
    """One task's result in a test run."""

    __test__ = False
    namespace: str | None
    name: str
    task_id: str
    error: Exception | None = None

    def format(self) -> str:
        line = (
            f"status={'NG' if self.error else 'OK'}; namespace={self.namespace}; "
            f"name={self.name}; id={self.task_id};"
        )
        if self.error is not None:
            line += f" message={type(self.error)}: {', '.join(map(str, self.error.args))}"
        return line


def _all_tasks(task: TaskOnKart[Any]) -> list[TaskOnKart[Any]]:
    found, stack, seen = [], [task], set()
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        found.append(current)
        stack.extend(reversed(luigi.task.flatten(current.requires())))
    return found


def _run_again(task: TaskOnKart[Any]) -> TestStatus:
    status = TestStatus(task.task_namespace, type(task).__name__, task.make_unique_id())
    try:
        type(task).run(task)  # type: ignore[no-untyped-call]
    except Exception as exc:
        status.error = exc
    return status


def run_test(args: Sequence[str], namespace: str | None) -> list[TestStatus]:
    """Build the command line's task, then run every task's ``run()`` again without dumps."""
    with CmdlineParser.global_instance(list(args)) as parser:
        root = parser.get_task_obj()
        try:
            build(root, return_value=False)
        except GokartBuildError as exc:
            raise AssertionError(f"the pipeline itself did not build: {exc}") from exc
        tasks = _all_tasks(root)
    if namespace is not None:
        tasks = [t for t in tasks if t.task_namespace == namespace]
    with mock.patch.object(TaskOnKart, "dump", lambda *args, **kwargs: None):
        return [_run_again(t) for t in tasks]


def _options(args: Sequence[str]) -> tuple[bool, str | None, list[str]]:
    """``--test-run-pandas`` and ``--test-run-namespace NS`` (or ``[test_run]`` in the config),
    and the other arguments. Read here, not by luigi's parser: that one drops a family two
    classes share (gokart's own ``test_run``, when gokart is imported too)."""
    config = luigi.configuration.get_config()
    pandas = config.getboolean("test_run", "pandas", False)
    namespace = config.get("test_run", "namespace", None)
    rest: list[str] = []
    items = iter(args)
    for arg in items:
        if arg == "--test-run-pandas":
            pandas = True
        elif arg == "--test-run-namespace":
            namespace = next(items, None)
        elif arg.startswith("--test-run-namespace="):
            namespace = arg.split("=", 1)[1]
        else:
            rest.append(arg)
    return pandas, namespace, rest


def try_to_run_test_for_empty_data_frame(cmdline_args: Sequence[str]) -> None:
    """``run()``'s check: with ``--test-run-pandas``, run the test above and exit."""
    pandas, namespace, args = _options(cmdline_args)
    if not pandas:
        return
    results = run_test(args, namespace)
    logger.info("gokart test results:\n%s", "\n".join(r.format() for r in results))
    sys.exit(1 if any(r.error for r in results) else 0)


__all__ = ["TestStatus", "run_test", "test_run", "try_to_run_test_for_empty_data_frame"]
