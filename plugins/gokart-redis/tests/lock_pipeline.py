"""Tasks for the lock tests, run in separate processes: ``python lock_pipeline.py Root``.

Every run() appends its name to $RUN_LOG (one short O_APPEND write), so the tests count runs
across processes. Workspace and redis settings come from the luigi config ([TaskOnKart]).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from typing import Any

import luigi

import gokart_core as gokart

SLEEP = float(os.environ.get("RUN_SLEEP", "0.05"))


def record(name: str) -> None:
    with open(os.environ["RUN_LOG"], "a") as log:
        log.write(f"{name} {os.getpid()}\n")


@gokart.RunWithLock
class Leaf(gokart.TaskOnKart[int]):
    i = luigi.IntParameter()

    def output(self) -> Any:
        return self.make_target(f"leaf/value_{self.i}.val")

    def run(self) -> None:
        record(f"Leaf{self.i}")
        time.sleep(SLEEP)
        self.dump(self.i)


class Mid(gokart.TaskOnKart[int]):
    j = luigi.IntParameter()

    def requires(self) -> Any:
        return [Leaf(i=self.j), Leaf(i=self.j + 1)]

    def output(self) -> Any:
        return self.make_target(f"mid/value_{self.j}.val")

    @gokart.RunWithLock
    def run(self) -> None:
        record(f"Mid{self.j}")
        time.sleep(SLEEP)
        self.dump(sum(self.load()))


class Root(gokart.TaskOnKart[int]):
    """20 tasks: 10 leaves, 9 mids, this root (locked by should_lock_run in the config)."""

    def requires(self) -> Any:
        return [Mid(j=j) for j in range(9)]

    def output(self) -> Any:
        return self.make_target("root.val")

    def run(self) -> None:
        record("Root")
        self.dump(sum(self.load()))


EXPECTED_ROOT = sum(2 * j + 1 for j in range(9))


@gokart.RunWithLock
class Slow(gokart.TaskOnKart[str]):
    """Takes RUN_SLEEP seconds inside its run lock."""

    def output(self) -> Any:
        return self.make_target("slow.val")

    def run(self) -> None:
        record("Slow")
        time.sleep(SLEEP)
        self.dump("slow done")


class StopsRedis(gokart.TaskOnKart[str]):
    """Shuts the redis server down in the middle of its run, before its dump."""

    def output(self) -> Any:
        return self.make_target("stops_redis.val")

    def run(self) -> None:
        import redis

        # The server may close the connection as it stops.
        with contextlib.suppress(redis.exceptions.ConnectionError):
            redis.Redis(host=self.redis_host, port=self.redis_port).shutdown(nosave=True)
        self.dump("never written")


if __name__ == "__main__":
    from lock_formats import plugin

    from gokart_core.plugin.manager import make_plugin_manager, use_plugin_manager

    # The installed plugins (gokart-redis among them) plus the tests' .val format.
    with use_plugin_manager(make_plugin_manager(plugins=[plugin])):
        task = {"Root": Root, "Slow": Slow, "StopsRedis": StopsRedis}[sys.argv[1]]()
        print(json.dumps(gokart.build(task)))
