"""Unique ids of tasks given as parameters, computed by gokart or by gokart_core.

Run as ``python compat_ids.py gokart|gokart_core [depth]``: prints a JSON object of ids. Both
libraries register a luigi family ``TaskOnKart``, so each runs in its own process.
"""

from __future__ import annotations

import datetime
import importlib
import json
import sys
from typing import Any

import luigi


def main() -> None:
    gokart: Any = importlib.import_module(sys.argv[1])
    depth = int(sys.argv[2]) if len(sys.argv) > 2 else 50

    class CLeaf(gokart.TaskOnKart):
        x = luigi.IntParameter(default=1)
        label = luigi.Parameter(default="leaf")

    class COther(gokart.TaskOnKart):
        y = luigi.FloatParameter(default=0.5)

    class CChain(gokart.TaskOnKart):
        dep = gokart.TaskInstanceParameter()
        i = luigi.IntParameter()

    class CTyped(gokart.TaskOnKart):
        leaf = gokart.TaskInstanceParameter(expected_type=CLeaf)
        other = gokart.TaskInstanceParameter(significant=False)
        n = luigi.IntParameter(default=3)

    class CList(gokart.TaskOnKart):
        leaves = gokart.ListTaskInstanceParameter()
        tag = luigi.Parameter(default="t")

    class CExplicitRequires(gokart.TaskOnKart):
        dep = gokart.TaskInstanceParameter()

        def requires(self) -> Any:
            return COther()

    class CZoned(gokart.TaskOnKart):
        when = gokart.ZonedDateSecondParameter()

    class CDiamond(gokart.TaskOnKart):
        left = gokart.TaskInstanceParameter()
        right = gokart.TaskInstanceParameter()

    leaf = CLeaf(x=2)
    other = COther(y=1.25)
    chain: Any = leaf
    for i in range(depth):
        chain = CChain(dep=chain, i=i)
    middle = CChain(dep=CChain(dep=leaf, i=0), i=1)
    tasks = {
        "leaf": leaf,
        "chain_1": CChain(dep=leaf, i=0),
        "chain_2": middle,
        "chain_deep": chain,
        "typed": CTyped(leaf=leaf, other=other),
        "typed_other_insignificant": CTyped(leaf=leaf, other=COther(y=9.0)),
        "list": CList(leaves=[leaf, other]),
        "tuple": CList(leaves=(leaf, other)),
        "list_nested": CList(leaves=[middle, CTyped(leaf=leaf, other=other)]),
        "explicit_requires": CExplicitRequires(dep=leaf),
        "zoned": CZoned(
            when=datetime.datetime(
                2024, 1, 2, 3, 4, 5, 678, tzinfo=datetime.timezone(datetime.timedelta(hours=9))
            )
        ),
        "diamond": CDiamond(left=CChain(dep=leaf, i=1), right=CChain(dep=leaf, i=2)),
    }
    out = {name: task.make_unique_id() for name, task in tasks.items()}
    out["serialized_chain_2"] = CChain.dep.serialize(middle)
    out["str_params_list"] = json.dumps(tasks["list"].to_str_params(only_significant=True))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
