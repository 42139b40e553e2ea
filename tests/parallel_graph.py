"""The graphs of the parallel-worker tests (issue 12), built in the test process and by worker
subprocesses alike.

A fan-in plus a chain: ``leaves`` leaves -> one join -> a chain of ``chain`` tasks, whose last
one is the root (29 + 1 + 10 = 40 tasks, or 189 + 1 + 10 = 200). Every ``run()`` appends
``{name} {pid} {ppid}`` to ``run_log`` with one O_APPEND write, then sleeps ``sleep`` seconds: the
tests count the runs from that file, and see in which processes they happened.

``KillRoot`` is the graph of the SIGKILL test: a ``BigDump`` (a large payload, then a list of
``SlowItem`` whose pickling sleeps, so that the dump is a multipart upload in progress for a
while) beside a few leaves. ``BigDump`` writes its pid to ``marker`` as its dump starts.

Worker subprocesses run ``python -c "import parallel_graph; parallel_graph.main()" Task ...``
(luigi's command line) with this folder on ``PYTHONPATH``.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any, NamedTuple

import luigi

import gokart_core as gokart


class Run(NamedTuple):
    name: str
    pid: int
    #: The process that started this one: luigi's worker process when it forked a task.
    ppid: int


def record(path: str, name: str, sleep: float = 0.0) -> None:
    """Append ``{name} {pid} {ppid}`` to ``path`` in one write: lines of concurrent processes
    never interleave."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{name} {os.getpid()} {os.getppid()}\n".encode())
    finally:
        os.close(fd)
    if sleep:
        time.sleep(sleep)


def read_runs(path: str | os.PathLike[str]) -> list[Run]:
    """Every run recorded in ``path`` so far, in order."""
    if not os.path.exists(path):
        return []
    with open(path) as log:
        return [Run(name, int(pid), int(ppid)) for name, pid, ppid in map(str.split, log)]


class _Recorded(gokart.TaskOnKart[Any]):
    """What every task of these graphs has: the cell (significant: every test's own unique
    ids, scheduler task ids and lock keys) and where runs are recorded (insignificant)."""

    cell: str = luigi.Parameter()
    run_log: str = luigi.Parameter(significant=False)
    sleep: float = luigi.FloatParameter(default=0.0, significant=False)

    def record(self, name: str) -> None:
        record(self.run_log, name, self.sleep)


class ParLeaf(_Recorded):
    i: int = luigi.IntParameter()

    def output(self) -> Any:
        return self.make_target(f"leaf/leaf_{self.i}.pkl")

    def run(self) -> None:
        self.record(f"leaf{self.i}")
        self.dump(leaf_value(self.i))


class ParJoin(_Recorded):
    leaves: int = luigi.IntParameter()

    def requires(self) -> Any:
        return [self.clone(ParLeaf, i=i) for i in range(self.leaves)]

    def output(self) -> Any:
        return self.make_target("join.pkl")

    def run(self) -> None:
        self.record("join")
        values = self.load()
        assert values == [leaf_value(i) for i in range(self.leaves)], values
        self.dump({"sum": sum(v["square"] for v in values), "count": len(values)})


class ParChain(_Recorded):
    leaves: int = luigi.IntParameter()
    k: int = luigi.IntParameter()

    def requires(self) -> Any:
        if self.k == 0:
            return self.clone(ParJoin)
        return self.clone(ParChain, k=self.k - 1)

    def output(self) -> Any:
        return self.make_target(f"chain/chain_{self.k}.pkl")

    def run(self) -> None:
        self.record(f"chain{self.k}")
        previous = self.load()
        self.dump((previous["sum"] if self.k == 0 else previous) + self.k + 1)


def leaf_value(i: int) -> dict[str, int]:
    return {"i": i, "square": i * i}


def root(cell: str, run_log: str, leaves: int, chain: int, sleep: float = 0.0) -> ParChain:
    return ParChain(cell=cell, run_log=run_log, sleep=sleep, leaves=leaves, k=chain - 1)


def graph(top: ParChain) -> dict[str, _Recorded]:
    """Every task of ``top``'s graph by the name its run records."""
    tasks: dict[str, _Recorded] = {}
    for k in range(top.k + 1):
        tasks[f"chain{k}"] = top.clone(ParChain, k=k)
    tasks["join"] = top.clone(ParJoin)
    for i in range(top.leaves):
        tasks[f"leaf{i}"] = top.clone(ParLeaf, i=i)
    return tasks


def expected(leaves: int, chain: int) -> dict[str, Any]:
    """What each task of a graph dumps, computed here without running any task."""
    values: dict[str, Any] = {f"leaf{i}": leaf_value(i) for i in range(leaves)}
    total = sum(i * i for i in range(leaves))
    values["join"] = {"sum": total, "count": leaves}
    for k in range(chain):
        total += k + 1
        values[f"chain{k}"] = total
    return values


class SlowItem:
    """An object whose pickling takes ``delay`` seconds (its unpickling none)."""

    def __init__(self, i: int, delay: float = 0.0) -> None:
        self.i = i
        self.delay = delay

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SlowItem) and other.i == self.i

    def __hash__(self) -> int:
        return hash(self.i)

    def __reduce__(self) -> tuple[Any, ...]:
        time.sleep(self.delay)
        return (SlowItem, (self.i,))


class BigDump(_Recorded):
    """``payload_mib`` MiB of bytes, then ``items`` SlowItems of ``item_delay`` seconds each."""

    payload_mib: int = luigi.IntParameter(default=6)
    items: int = luigi.IntParameter(default=100)
    item_delay: float = luigi.FloatParameter(default=0.02, significant=False)
    marker: str = luigi.Parameter(significant=False)

    def output(self) -> Any:
        return self.make_target("big.pkl")

    def run(self) -> None:
        self.record("big")
        with open(f"{self.marker}.tmp", "w") as marker:  # then renamed: never seen empty
            marker.write(str(os.getpid()))
        os.replace(f"{self.marker}.tmp", self.marker)
        self.dump(
            {
                "payload": b"x" * (self.payload_mib * 2**20),
                "items": [SlowItem(i, self.item_delay) for i in range(self.items)],
            }
        )


class KillRoot(_Recorded):
    """Requires the big dump and ``leaves`` leaves; checks and summarises what they wrote."""

    leaves: int = luigi.IntParameter()
    marker: str = luigi.Parameter(significant=False)

    def requires(self) -> Any:
        return {
            "big": self.clone(BigDump),
            "leaves": [self.clone(ParLeaf, i=i) for i in range(self.leaves)],
        }

    def output(self) -> Any:
        return self.make_target("kill_root.pkl")

    def run(self) -> None:
        self.record("root")
        big = self.load("big")
        items = self.clone(BigDump).items
        payload_ok = big["payload"] == b"x" * (self.clone(BigDump).payload_mib * 2**20)
        self.dump(
            {
                "payload_ok": payload_ok,
                "items_ok": big["items"] == [SlowItem(i) for i in range(items)],
                "leaves": self.load("leaves"),
            }
        )


def main() -> None:
    """luigi's command line (``gokart_core.run``) over these tasks."""
    gokart.run()


def build_main() -> None:
    """``gokart_core.build`` of :func:`root` (``--cell --run-log --leaves --chain --workers``)
    with the scheduler of the luigi config, as a script would call it; prints the root's output
    that it returns."""
    import argparse

    p = argparse.ArgumentParser()
    for name in ("cell", "run-log"):
        p.add_argument(f"--{name}", required=True)
    for name in ("leaves", "chain", "workers"):
        p.add_argument(f"--{name}", type=int, required=True)
    args = p.parse_args()
    top = root(args.cell, args.run_log, args.leaves, args.chain)
    value = gokart.build(top, local_scheduler=False, workers=args.workers)
    print("built:", json.dumps(value, sort_keys=True))
