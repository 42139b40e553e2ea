"""Tasks for lock conformance tests, built by separate processes:
``python -m gokart_core.testing._lock_pipeline Root``.

Every run() appends its name to $RUN_LOG (one short O_APPEND write), so a test counts runs
across processes. Workspace and lock settings come from the luigi config ($LUIGI_CONFIG_PATH).
Outputs use a JSON format on ``.val`` defined here, so no format plugin is needed.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import IO, Any

import luigi

import gokart_core as gokart
from gokart_core import Format, FormatRegistry, hookimpl
from gokart_core.plugin.manager import make_plugin_manager, use_plugin_manager
from gokart_core.target.format import FormatContext


def _sleep() -> float:
    return float(os.environ.get("RUN_SLEEP", "0.05"))


def record(name: str) -> None:
    with open(os.environ["RUN_LOG"], "a") as log:
        log.write(f"{name} {os.getpid()}\n")


class JsonValue(Format):
    name = "test-json-value"

    def dump(self, obj: Any, fp: IO[bytes], context: FormatContext) -> None:
        fp.write(json.dumps(obj).encode())

    def load(self, fp: IO[bytes], context: FormatContext) -> Any:
        return json.loads(fp.read())


class ValueFormatPlugin:
    @hookimpl
    def gokart_register_formats(self, registry: FormatRegistry) -> None:
        registry.add("test-json-value", JsonValue, extensions=(".val",))


@gokart.RunWithLock
class Leaf(gokart.TaskOnKart[int]):
    i: int = luigi.IntParameter()

    def output(self) -> Any:
        return self.make_target(f"leaf/value_{self.i}.val")

    def run(self) -> None:
        record(f"Leaf{self.i}")
        time.sleep(_sleep())
        self.dump(self.i)


class Mid(gokart.TaskOnKart[int]):
    j: int = luigi.IntParameter()

    def requires(self) -> Any:
        return [Leaf(i=self.j), Leaf(i=self.j + 1)]

    def output(self) -> Any:
        return self.make_target(f"mid/value_{self.j}.val")

    @gokart.RunWithLock
    def run(self) -> None:
        record(f"Mid{self.j}")
        time.sleep(_sleep())
        self.dump(sum(self.load()))


class Root(gokart.TaskOnKart[int]):
    """20 tasks: 10 leaves (RunWithLock on the class), 9 mids (on run), this root (locked when
    the config sets should_lock_run)."""

    def requires(self) -> Any:
        return [Mid(j=j) for j in range(9)]

    def output(self) -> Any:
        return self.make_target("root.val")

    def run(self) -> None:
        record("Root")
        self.dump(sum(self.load()))


ROOT_TASKS = {f"Leaf{i}" for i in range(10)} | {f"Mid{j}" for j in range(9)} | {"Root"}
EXPECTED_ROOT = sum(2 * j + 1 for j in range(9))


@gokart.RunWithLock
class Slow(gokart.TaskOnKart[str]):
    """Takes $RUN_SLEEP seconds inside its run lock."""

    def output(self) -> Any:
        return self.make_target("slow.val")

    def run(self) -> None:
        record("Slow")
        time.sleep(_sleep())
        self.dump("slow done")


def main() -> None:
    # The installed plugins (the lock plugin under test among them) plus the .val format.
    with use_plugin_manager(make_plugin_manager(plugins=[ValueFormatPlugin()])):
        tasks: dict[str, type[gokart.TaskOnKart[Any]]] = {"Root": Root, "Slow": Slow}
        print(json.dumps(gokart.build(tasks[sys.argv[1]]())))


if __name__ == "__main__":
    main()
