"""The fuzz suite's summary: how many inputs each property tried, per format."""

from __future__ import annotations

from typing import Any


def pytest_terminal_summary(terminalreporter: Any) -> None:
    from tests.fuzz.test_format_fuzz import TRIED

    if not TRIED:
        return
    terminalreporter.section("fuzz: inputs tried")
    for (prop, fmt), n in sorted(TRIED.items(), key=lambda item: (item[0][1], item[0][0])):
        terminalreporter.write_line(f"{fmt:>18}  {prop:<13} {n:>7,}")
    total = sum(TRIED.values())
    terminalreporter.write_line(f"{'all':>18}  {'':<13} {total:>7,}")
