"""The report tests' pipeline: 12 tasks, one of which fails, blocking two downstream.

::

    RptSource(n) x4 -> RptDouble(n) x4 -> RptSum (n 0, 1)    -> RptTop
                                       -> RptBroken (n 2, 3) -> RptAfterBroken -> RptTop

Each source carries a secret twice (``significant=False`` and ``visibility=PRIVATE``): no
report may show either.
"""

from __future__ import annotations

from typing import Any

import luigi
from luigi.parameter import ParameterVisibility

import gokart_core as gokart

SECRET_TOKEN = "tok-3f9a1c-never-shown"
SECRET_PASSWORD = "pw-77e2b0-never-shown"
FAILURE = "RptBroken failed on purpose"


class RptSource(gokart.TaskOnKart[int]):
    n = luigi.IntParameter()
    token = luigi.Parameter(default=SECRET_TOKEN, significant=False)
    password = luigi.Parameter(default=SECRET_PASSWORD, visibility=ParameterVisibility.PRIVATE)

    def run(self) -> None:
        self.dump(self.n)


class RptDouble(gokart.TaskOnKart[int]):
    n = luigi.IntParameter()

    def requires(self) -> Any:
        return RptSource(n=self.n, workspace_directory=self.workspace_directory)

    def run(self) -> None:
        value = self.load() * 2
        self.task_log["doubled"] = value
        self.dump(value)


class RptSum(gokart.TaskOnKart[int]):
    def requires(self) -> Any:
        return [RptDouble(n=i, workspace_directory=self.workspace_directory) for i in (0, 1)]

    def run(self) -> None:
        self.dump(sum(self.load()))


class RptBroken(gokart.TaskOnKart[int]):
    def requires(self) -> Any:
        return [RptDouble(n=i, workspace_directory=self.workspace_directory) for i in (2, 3)]

    def run(self) -> None:
        raise ValueError(FAILURE)


class RptAfterBroken(gokart.TaskOnKart[int]):
    def requires(self) -> Any:
        return RptBroken(workspace_directory=self.workspace_directory)

    def run(self) -> None:
        self.dump(self.load())


class RptTop(gokart.TaskOnKart[int]):
    def requires(self) -> Any:
        return {
            "sum": RptSum(workspace_directory=self.workspace_directory),
            "after": RptAfterBroken(workspace_directory=self.workspace_directory),
        }

    def run(self) -> None:
        self.dump(self.load("sum") + self.load("after"))


def top(workspace: str) -> RptTop:
    return RptTop(workspace_directory=workspace)
