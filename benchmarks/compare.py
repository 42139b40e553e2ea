"""``results.md``'s last section: this run's gokart-core medians against the results file that
the run replaces (the last committed one, in a checkout), row by row (issue 13: a redesign that
leaves behaviour unchanged leaves no row more than 5% slower).

A row's *drift* is the same ratio for the baseline measured beside it (raw pandas for a
DataFrame format, bare luigi for a graph; none for the lock and S3 rows): when the machine is
slower as a whole, the baseline is slower too, and *vs drift* divides it out. Both are shown;
the target is on the plain ratio.

With ``--core-before REV`` the run measures gokart-core's tree REV beside today's, and a first
table compares the two within this one run: on a machine other than the results file's, that
table is the one that says whether a change made gokart-core slower.

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
#: The keys of the rows' implementations in ``samples``: gokart-core now, and the earlier tree
#: that ``--core-before`` measures in the same run.
NOW = {"core": "core", "lock": "lock", "nolock": "nolock"}
BEFORE = {"core": "core-before", "lock": "lock-before", "nolock": "nolock-before"}

Row = tuple[str, str, "float | None", "float | None"]


def _median(results: Sequence[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in results if r.get("ok") and key in r]
    return statistics.median(values) if values else None


def rows(data: dict[str, Any], which: dict[str, str] = NOW) -> Iterator[Row]:
    """(row, measurement, gokart-core's median, its baseline's median) of one results file;
    ``which`` names the implementations' keys (:data:`NOW` or :data:`BEFORE`)."""
    for scenario, cell in data.get("samples", {}).items():
        kind = "frame" if scenario.startswith("frame:") else "graph"
        base = cell.get(BASELINE[kind], [])
        keys = ("create_s", "uid_s") if scenario == "uid" else ("seconds",)
        for label, impl in which.items():
            if impl not in cell:
                continue
            for key in keys:
                name = f"{scenario}{_size(cell[impl])} · {LABELS[label]}"
                ref = _median(base, key) if label == "core" else None
                yield name, key, _median(cell[impl], key), ref
    deep = data.get("deep", {})
    if which["core"] in deep:
        ref = deep.get("luigi", {}).get("result", {})
        own = deep[which["core"]].get("result", {})
        yield "deep chain · gokart-core", "seconds", _one(own), _one(ref)
    for step, result in data.get("s3", {}).get("steps", {}).get(which["core"], {}).items():
        yield f"s3 {step} · gokart-core", "seconds", _one(result), None


def _size(results: Sequence[dict[str, Any]]) -> str:
    """The size that a row was measured at, so that runs of other sizes are not compared:
    tasks, instances or the file's megabytes."""
    for r in results:
        for key, unit in (("tasks", " tasks"), ("n", ""), ("file_bytes", " MB")):
            if r.get("ok") and key in r:
                value = r[key] // 1_000_000 if key == "file_bytes" else r[key]
                return f" ({value:,}{unit})"
    return ""


def _one(result: dict[str, Any]) -> float | None:
    return float(result["seconds"]) if result.get("ok") and "seconds" in result else None


def _table(now: Iterator[Row], before: Iterator[Row], drift: bool) -> tuple[list[str], float]:
    """The rows of both, as table lines, and the largest now / before."""
    old = {(name, key): (own, ref) for name, key, own, ref in before}
    table: list[str] = []
    worst = 0.0
    for name, key, own, ref in now:
        if (name, key) not in old or own is None or old[name, key][0] is None:
            continue
        old_own, old_ref = old[name, key]
        assert old_own is not None
        change = own / old_own
        label = name if key == "seconds" else f"{name} ({key})"
        cells = [label, fmt_s(old_own), fmt_s(own), fmt_x(change)]
        if drift:
            moved = ref / old_ref if ref is not None and old_ref else None
            cells += [fmt_x(moved), fmt_x(change / moved if moved else None)]
        table.append("| " + " | ".join([*cells, met(change <= SLOWER)]) + " |")
        worst = max(worst, change)
    return table, worst


def _verdict(worst: float) -> str:
    within = "every row within" if worst <= SLOWER else "not every row within"
    return f"Slowest change: {fmt_x(worst)}; {within} {SLOWER:.2f}x.\n"


def section(old: dict[str, Any], new: dict[str, Any], before: str | None = None) -> list[str]:
    """The Markdown section comparing ``new`` with gokart-core's tree ``before`` measured in
    the same run (when it was) and with the results file ``old``; empty when nothing is in
    both."""
    out: list[str] = []
    before = before or new.get("core_before") or "?"
    in_run, worst = _table(rows(new), rows(new, BEFORE), drift=False)
    if in_run:
        out += [
            f"### gokart-core now against its tree `{before}`, measured in this run\n",
            f"`--core-before {before}`: that tree's gokart-core and plugins in a virtualenv "
            "of their own, with this run's versions of everything else, measured beside "
            f"gokart-core in every repeat. A row meets the target at most {SLOWER:.2f}x.\n",
            "| row | before | now | now / before | met |",
            "|---|---|---|---|---|",
            *in_run,
            "",
            _verdict(worst),
        ]
    table, worst = _table(rows(new), rows(old), drift=True)
    if table:
        machine = old.get("machine", {})
        same = machine.get("cpu") == new.get("machine", {}).get("cpu", machine.get("cpu"))
        out += [
            "### gokart-core now against the results file this run replaces\n",
            f"The results of tree `{machine.get('commit', '?')}` ({machine.get('date', '?')}"
            f"{'' if same else ', on another CPU: ' + str(machine.get('cpu'))}); *drift* is the "
            "same ratio for the baseline measured beside the row (raw pandas, bare luigi), "
            "*vs drift* the ratio divided by it.\n",
            "| row | before | now | now / before | drift | vs drift | met |",
            "|---|---|---|---|---|---|---|",
            *table,
            "",
            _verdict(worst),
        ]
    if out:
        out.append("")
    return ["## Against the results before\n", *out] if out else []


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
