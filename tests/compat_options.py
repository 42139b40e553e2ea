"""gokart's task options run by gokart or by gokart_core, for test_gokart_options.py.

Run as ``python compat_options.py IMPL WORKSPACE`` (``IMPL``: ``gokart`` or ``gokart_core``):
builds the same small pipelines with that library and prints a JSON report of what the options
did: the files ``delete_local_unnecessary_outputs`` left, what ``cache_unique_id`` loaded, the
numbers drawn under fixed random seeds and the seed logs. Each library runs in a process of its
own (both register a luigi family ``TaskOnKart``).
"""

from __future__ import annotations

import importlib
import json
import os
import pickle
import random
import sys
from typing import Any

import luigi


def main(impl: str, workspace: str) -> dict[str, Any]:
    gokart: Any = importlib.import_module(impl)
    luigi.configuration.get_config().set("TaskOnKart", "workspace_directory", workspace)

    class OptLeaf(gokart.TaskOnKart):  # type: ignore[misc, name-defined]
        n = luigi.IntParameter()

        def run(self) -> None:
            self.dump([self.n, random.random()])

    class OptRoot(gokart.TaskOnKart):  # type: ignore[misc, name-defined]
        n = luigi.IntParameter()

        def requires(self) -> Any:
            return OptLeaf(n=self.n)

        def run(self) -> None:
            self.dump(self.load())

    drawn = [gokart.build(OptRoot(n=n), reset_register=False) for n in (1, 2)]
    gokart.delete_local_unnecessary_outputs(OptRoot(n=2))
    kept = sorted(
        os.path.relpath(os.path.join(d, f), workspace)
        for d, _, files in os.walk(workspace)
        for f in files
    )
    seeds = {}
    for name in kept:
        if name.startswith(os.path.join("log", "random_seed")):
            with open(os.path.join(workspace, name), "rb") as fp:
                seeds[name] = pickle.load(fp)

    class CacheDep(gokart.TaskOnKart):  # type: ignore[misc, name-defined]
        param = luigi.Parameter(default="original")

        def run(self) -> None:
            self.dump(self.param)

    class CacheRoot(gokart.TaskOnKart):  # type: ignore[misc, name-defined]
        def requires(self) -> Any:
            return CacheDep()

        def run(self) -> None:
            self.dump(self.load())

    def set_default(value: str) -> None:
        param = luigi.Parameter(default=value)
        param.__set_name__(CacheDep, "param")
        CacheDep.param = param

    cached = {}
    for cache in (True, False):
        set_default("original")
        first = gokart.build(CacheRoot(cache_unique_id=cache), reset_register=False)
        set_default("updated")
        cached[str(cache)] = [
            first,
            gokart.build(CacheRoot(cache_unique_id=cache), reset_register=False),
        ]
    leaf_ids = [OptLeaf(n=n).make_unique_id() for n in (1, 2)]
    return {"drawn": drawn, "leaf_ids": leaf_ids, "kept": kept, "seeds": seeds, "cached": cached}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
