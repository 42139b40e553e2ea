"""A 50-task graph for the scale-out tests, run by worker processes against luigid:
``python scale_out_graph.py GraphRoot --scheduler-host 127.0.0.1 --scheduler-port PORT``.

30 leaves, 15 mids (two leaves each), 4 tops (a share of the mids each) and the root. Every
run() appends ``{task} {pid}`` to $RUN_LOG (one short O_APPEND write) and sleeps $RUN_SLEEP
seconds. Workspace, S3 endpoint, redis and scheduler settings come from $LUIGI_CONFIG_PATH.
"""

from __future__ import annotations

import os
import time
from typing import Any

import luigi

import gokart_core as gokart

LEAVES = 30
MIDS = 15
TOPS = 4
ALL_TASKS = (
    {f"GraphLeaf{i}" for i in range(LEAVES)}
    | {f"GraphMid{j}" for j in range(MIDS)}
    | {f"GraphTop{k}" for k in range(TOPS)}
    | {"GraphRoot"}
)
EXPECTED_ROOT = sum(range(LEAVES))


def record(name: str) -> None:
    with open(os.environ["RUN_LOG"], "a") as log:
        log.write(f"{name} {os.getpid()}\n")
    time.sleep(float(os.environ.get("RUN_SLEEP", "0.05")))


class GraphLeaf(gokart.TaskOnKart[int]):
    i: int = luigi.IntParameter()

    def output(self) -> Any:
        return self.make_target(f"leaf/leaf_{self.i}.pkl")

    def run(self) -> None:
        record(f"GraphLeaf{self.i}")
        self.dump(self.i)


class GraphMid(gokart.TaskOnKart[int]):
    j: int = luigi.IntParameter()

    def requires(self) -> Any:
        return [GraphLeaf(i=2 * self.j), GraphLeaf(i=2 * self.j + 1)]

    def output(self) -> Any:
        return self.make_target(f"mid/mid_{self.j}.pkl")

    def run(self) -> None:
        record(f"GraphMid{self.j}")
        self.dump(sum(self.load()))


class GraphTop(gokart.TaskOnKart[int]):
    k: int = luigi.IntParameter()

    def requires(self) -> Any:
        return [GraphMid(j=j) for j in range(MIDS) if j % TOPS == self.k]

    def output(self) -> Any:
        return self.make_target(f"top/top_{self.k}.pkl")

    def run(self) -> None:
        record(f"GraphTop{self.k}")
        self.dump(sum(self.load()))


class GraphRoot(gokart.TaskOnKart[int]):
    def requires(self) -> Any:
        return [GraphTop(k=k) for k in range(TOPS)]

    def output(self) -> Any:
        return self.make_target("root.pkl")

    def run(self) -> None:
        record("GraphRoot")
        self.dump(sum(self.load()))


if __name__ == "__main__":
    gokart.run()
