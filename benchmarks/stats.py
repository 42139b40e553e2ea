"""Numbers for the report: the median, min and max of a measurement over the repeats that
succeeded, ratios of medians, and how ``results.md`` writes seconds, megabytes, ratios, a
failure and whether a target is met."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from typing import Any


def summary(results: Iterable[dict[str, Any]], key: str = "seconds") -> dict[str, Any] | None:
    """median, min, max of ``key`` over the successful results; None when none succeeded."""
    values = [r[key] for r in results if r.get("ok") and key in r]
    if not values:
        return None
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "n": len(values),
    }


def fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    if seconds >= 10:
        return f"{seconds:.1f} s"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 0.001:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} µs"


def fmt_range(s: dict[str, Any] | None) -> str:
    if s is None:
        return "failed"
    if s["n"] == 1:
        return fmt_s(s["median"])
    return f"{fmt_s(s['median'])} ({fmt_s(s['min'])} to {fmt_s(s['max'])})"


def fmt_mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value / 1e6:.0f} MB"


def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def fmt_x(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def med(s: dict[str, Any] | None) -> float | None:
    return None if s is None else float(s["median"])


def first_error(results: Iterable[dict[str, Any]]) -> str:
    for r in results:
        if not r.get("ok"):
            return f"{r.get('error')}: {r.get('message', '')}"
    return ""


def met(ok: bool | None) -> str:
    """The *met* cell of a target: ``yes``, ``**no**`` or ``not measured`` (None)."""
    if ok is None:
        return "not measured"
    return "yes" if ok else "**no**"
