"""``results.md``'s last section: this run's gokart-core medians against the results file that
the run replaces (the last committed one, in a checkout), row by row (issue 13: a redesign that
leaves behaviour unchanged leaves no row more than 5% slower).

A row's *drift* is the same ratio for the baseline measured beside it (raw pandas for a
DataFrame format, bare luigi for a graph; none for the lock and S3 rows): when the machine is
slower as a whole, the baseline is slower too, and *vs drift* divides it out. Both are shown;
the target is on the plain ratio.

``python -m benchmarks.compare OLD.json NEW.json`` prints the section for two files.
"""

from __future__ import annotations

import json
import statistics
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from benchmarks.stats import fmt_s, fmt_x, met

#: A row more than this much slower than before misses the target.
SLOWER = 1.05
#: The baseline beside each kind of row, by the implementation's key in ``samples``.
BASELINE = {"frame": "pandas", "graph": "luigi"}
LABELS = {"core": "gokart-core", "lock": "gokart-core, locked", "nolock": "gokart-core, no lock"}


def _median(results: Sequence[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in results if r.get("ok") and key in r]
    return statistics.median(values) if values else None


def rows(data: dict[str, Any]) -> Iterator[tuple[str, str, float | None, float | None]]:
    """(row, measurement, gokart-core's median, its baseline's median) of one results file."""
    for scenario, cell in data.get("samples", {}).items():
        kind = "frame" if scenario.startswith("frame:") else "graph"
        base = cell.get(BASELINE[kind], [])
        keys = ("create_s", "uid_s") if scenario == "uid" else ("seconds",)
        for impl in ("core", "lock", "nolock"):
            if impl not in cell:
                continue
            for key in keys:
                name = f"{scenario} · {LABELS[impl]}"
                ref = _median(base, key) if impl == "core" else None
                yield name, key, _median(cell[impl], key), ref
    deep = data.get("deep", {})
    if "core" in deep:
        ref = deep.get("luigi", {}).get("result", {})
        own = deep["core"].get("result", {})
        yield "deep chain · gokart-core", "seconds", _one(own), _one(ref)
    for step, result in data.get("s3", {}).get("steps", {}).get("core", {}).items():
        yield f"s3 {step} · gokart-core", "seconds", _one(result), None


def _one(result: dict[str, Any]) -> float | None:
    return float(result["seconds"]) if result.get("ok") and "seconds" in result else None


def section(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The Markdown section comparing ``new`` with ``old``; empty when no row is in both."""
    before = {(name, key): (own, ref) for name, key, own, ref in rows(old)}
    table: list[str] = []
    worst: tuple[float, str] | None = None
    for name, key, own, ref in rows(new):
        if (name, key) not in before or own is None or before[name, key][0] is None:
            continue
        old_own, old_ref = before[name, key]
        assert old_own is not None
        change = own / old_own
        drift = ref / old_ref if ref is not None and old_ref else None
        corrected = change / drift if drift else None
        label = name if key == "seconds" else f"{name} ({key})"
        table.append(
            f"| {label} | {fmt_s(old_own)} | {fmt_s(own)} | {fmt_x(change)} | "
            f"{fmt_x(drift)} | {fmt_x(corrected)} | {met(change <= SLOWER)} |"
        )
        if worst is None or change > worst[0]:
            worst = (change, label)
    if not table:
        return []
    commit = old.get("machine", {}).get("commit", "?")
    date = old.get("machine", {}).get("date", "?")
    out = [
        "## Against the results this run replaces\n",
        f"gokart-core's medians now against the results file of tree `{commit}` ({date}); "
        "*drift* is the same ratio for the baseline measured beside the row (raw pandas, bare "
        "luigi), *vs drift* the ratio divided by it. A row meets the target when it is at most "
        f"{SLOWER:.2f}x its old median.\n",
        "| row | before | now | now / before | drift | vs drift | met |",
        "|---|---|---|---|---|---|---|",
        *table,
        "",
    ]
    if worst is not None:
        out.append(
            f"Slowest change: {worst[1]}, {fmt_x(worst[0])}; "
            f"{'every row within' if worst[0] <= SLOWER else 'not every row within'} "
            f"{SLOWER:.2f}x.\n"
        )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print("usage: python -m benchmarks.compare OLD.json NEW.json", file=sys.stderr)
        return 2
    old, new = (json.loads(Path(a).read_text()) for a in args)
    print("\n".join(section(old, new)) or "no row in both files")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
