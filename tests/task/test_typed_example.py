"""examples/typed_pipeline.py end to end: in process (outputs of the declared types, values equal
to plain pandas, a second build runs nothing) and as the script its docstring shows.

That it passes mypy --strict, and that mypy rejects mistyped uses (tests/typing_rejected.py),
is checked by ``nox -s typecheck``.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, get_origin

import pandas as pd
import pytest

import gokart_core as gokart
from gokart_core.task.targets import declared_output_type

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "typed_pipeline.py"


@pytest.fixture(scope="module")
def example() -> Iterator[ModuleType]:
    name = "typed_pipeline_example"
    spec = importlib.util.spec_from_file_location(name, EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    yield module
    del sys.modules[name]


def expected_report(thresholds: tuple[float, ...]) -> list[str]:
    """The report computed with pandas alone, from the example's description of its data."""
    sales = pd.DataFrame(
        [
            {"store": store, "amount": float((day * 5 + i * 3) % 7)}
            for day in range(6)
            for i, store in enumerate(("north", "south", "east"))
        ]
    )
    lines = []
    for i, t in enumerate(thresholds):
        totals = sales[sales["amount"] >= t].groupby("store")["amount"].sum()
        ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
        lines += [f"{i} {store}: {total:.1f}" for store, total in ranked]
    return lines


def test_outputs_have_the_declared_types_and_pandas_values(
    example: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = str(tmp_path / "ws")
    report = example.main(["--workspace", workspace])
    assert report == expected_report((1.0, 4.0))
    assert capsys.readouterr().out.splitlines() == report

    root = example.make_report(workspace)
    total = root.totals[0]
    outputs: dict[type, Any] = {
        example.MakeSales: gokart.build(total.clean.sales),
        example.CleanSales: gokart.build(total.clean),
        example.TotalByStore: gokart.build(total),
        example.Report: gokart.build(root),
    }
    for task_class, value in outputs.items():
        assert type(value) is _declared_class(task_class), task_class
    assert all(
        isinstance(k, str) and isinstance(v, float)
        for k, v in outputs[example.TotalByStore].items()
    )
    assert all(isinstance(line, str) for line in outputs[example.Report])

    # Everything is cached: a second build rewrites nothing.
    files = {p: p.stat().st_mtime_ns for p in (tmp_path / "ws" / "typed").iterdir()}
    assert len(files) == 6  # sales, 2 cleaned, 2 totals, report
    assert example.main(["--workspace", workspace]) == report
    assert {p: p.stat().st_mtime_ns for p in files} == files


def _declared_class(task_class: type) -> Any:
    """The runtime class of the ``T`` that ``task_class`` declares as ``TaskOnKart[T]``."""
    declared = declared_output_type(task_class)
    return get_origin(declared) or declared


def test_the_script_runs(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(EXAMPLE), "--workspace", str(tmp_path / "ws")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "LUIGI_CONFIG_PATH": str(tmp_path / "luigi.cfg")},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.splitlines() == expected_report((1.0, 4.0))
