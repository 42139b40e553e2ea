"""Supplementary logs written and read by gokart or by gokart_core, for test_task_log.py.

Run as ``python compat_logs.py gokart BUILD_WS [RESTORE_WS]``: builds ``LogCompat`` into
``BUILD_WS`` with gokart and, given ``RESTORE_WS``, restores it from the logs there (written by
gokart_core); prints a JSON report. Both libraries register a luigi family ``TaskOnKart``, so
gokart runs in a process of its own; gokart_core's side calls ``define`` and ``build`` in the
test's process.
"""

from __future__ import annotations

import datetime
import importlib
import json
import os
import sys
from typing import Any

import luigi
import luigi.configuration

#: The significant parameters of the built task, as given to its constructor.
PARAMS: dict[str, Any] = {"x": 7, "when": datetime.date(2024, 1, 2), "tags": ["p", "q"]}


def define(gokart: Any) -> tuple[type, type]:
    """``LogLeaf`` and ``LogCompat`` (which takes the leaf as a task parameter) of ``gokart``."""

    class LogLeaf(gokart.TaskOnKart):  # type: ignore[misc, name-defined]
        n = luigi.IntParameter(default=1)

        def output(self) -> Any:
            return self.make_target("compat/leaf.pkl")

        def run(self) -> None:
            self.dump(self.n)

    class LogCompat(gokart.TaskOnKart):  # type: ignore[misc, name-defined]
        x = luigi.IntParameter(default=1)
        when = luigi.DateParameter(default=datetime.date(2000, 1, 1))
        tags = luigi.ListParameter(default=[])
        leaf = gokart.TaskInstanceParameter()

        def output(self) -> Any:
            return self.make_target("compat/log_compat.pkl")

        def run(self) -> None:
            self.task_log["note"] = "hello"
            self.dump({"x": self.x, "leaf": self.load("leaf")})

    return LogLeaf, LogCompat


def make_task(leaf_cls: type, cls: type, workspace: str) -> Any:
    return cls(
        leaf=leaf_cls(n=3, workspace_directory=workspace), workspace_directory=workspace, **PARAMS
    )


def relative_files(root: str) -> list[str]:
    found = []
    for dirpath, _, names in os.walk(root):
        found.extend(os.path.relpath(os.path.join(dirpath, n), root) for n in names)
    return sorted(found)


def main() -> None:
    gokart: Any = importlib.import_module(sys.argv[1])
    build_ws = sys.argv[2]
    leaf_cls, cls = define(gokart)
    task = make_task(leaf_cls, cls, build_ws)
    gokart.build(task, reset_register=False)
    report: dict[str, Any] = {
        "unique_id": task.make_unique_id(),
        "leaf_unique_id": task.leaf.make_unique_id(),
        "files": relative_files(build_ws),
    }
    if len(sys.argv) > 3:
        luigi.configuration.get_config().set("TaskOnKart", "workspace_directory", sys.argv[3])
        restored = cls.restore(task.make_unique_id())
        report["restored_unique_id"] = restored.make_unique_id()
        report["restored_params"] = restored.to_str_params(only_significant=True)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
