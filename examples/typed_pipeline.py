"""A typed pipeline: every task declares what it outputs as ``TaskOnKart[T]``, and mypy --strict
checks the rest: ``self.dump`` takes only a ``T``, ``self.load(task)`` returns the ``T`` of that
task, and ``gokart.build(task)`` returns it too.

    python examples/typed_pipeline.py --workspace ./resources

Parameters are annotated with their value's type (``n_days: int = luigi.IntParameter()``), as
luigi's mypy plugin (``plugins = ["luigi.mypy"]``) expects: it checks the keyword arguments of
each task's constructor too. Upstream tasks are parameters (``TaskInstanceParameter``), so each
one is required without a ``requires()``. Outputs are pickles (the gokart-pickle plugin).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import luigi
import pandas as pd

import gokart_core as gokart

STORES = ("north", "south", "east")


class MakeSales(gokart.TaskOnKart[pd.DataFrame]):
    """One row per day and store: ``day``, ``store``, ``amount``."""

    n_days: int = luigi.IntParameter(default=6)

    def output(self) -> gokart.TargetOnKart:
        return self.make_target("typed/sales.pkl")

    def run(self) -> None:
        rows = [
            {"day": day, "store": store, "amount": float((day * 5 + i * 3) % 7)}
            for day in range(self.n_days)
            for i, store in enumerate(STORES)
        ]
        self.dump(pd.DataFrame(rows))


class CleanSales(gokart.TaskOnKart[pd.DataFrame]):
    """The sales of at least ``min_amount``."""

    sales: MakeSales = gokart.TaskInstanceParameter(expected_type=MakeSales)
    min_amount: float = luigi.FloatParameter(default=1.0)

    def output(self) -> gokart.TargetOnKart:
        return self.make_target("typed/clean_sales.pkl")

    def run(self) -> None:
        sales = self.load(self.sales)  # a pd.DataFrame, as MakeSales declares
        self.dump(sales[sales["amount"] >= self.min_amount].reset_index(drop=True))


class TotalByStore(gokart.TaskOnKart[dict[str, float]]):
    """The total amount per store."""

    clean: CleanSales = gokart.TaskInstanceParameter(expected_type=CleanSales)

    def output(self) -> gokart.TargetOnKart:
        return self.make_target("typed/total_by_store.pkl")

    def run(self) -> None:
        frame = self.load(self.clean)
        totals = frame.groupby("store")["amount"].sum()
        self.dump({str(store): float(total) for store, total in totals.items()})


class Report(gokart.TaskOnKart[list[str]]):
    """One line per store, the best first, for each set of totals given."""

    totals: Sequence[TotalByStore] = gokart.ListTaskInstanceParameter(
        expected_elements_type=TotalByStore
    )

    def output(self) -> gokart.TargetOnKart:
        return self.make_target("typed/report.pkl")

    def run(self) -> None:
        lines: list[str] = []
        for i, totals in enumerate(self.load(self.totals)):  # a list[dict[str, float]]
            best_first = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
            lines.extend(f"{i} {store}: {total:.1f}" for store, total in best_first)
        self.dump(lines)


def make_report(workspace: str, thresholds: tuple[float, ...] = (1.0, 4.0)) -> Report:
    """The report over the totals of the sales of at least each threshold."""
    sales = MakeSales(workspace_directory=workspace)
    totals = [
        TotalByStore(
            clean=CleanSales(sales=sales, min_amount=t, workspace_directory=workspace),
            workspace_directory=workspace,
        )
        for t in thresholds
    ]
    return Report(totals=totals, workspace_directory=workspace)


def main(argv: list[str] | None = None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--workspace", default="./resources/")
    args = parser.parse_args(argv)
    report = gokart.build(make_report(args.workspace))  # a list[str], as Report declares
    for line in report:
        print(line)
    return report


if __name__ == "__main__":
    main()
