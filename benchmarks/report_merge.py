"""A partial run (``--scenarios`` naming some of them) merged into the results of a full one.

``results.md`` is written whole by every run. When a run measures only some scenarios (say
``--scenarios parallel``) and the output file is there already, the sections it wrote replace
the sections of the same name in that file, the others are kept as they are, and so are the
target rows of the scenarios it did not run:

- sections are matched by their ``## `` heading, up to `` (`` and with every number read as
  ``#`` (``## A chain of 1,000 tasks ...`` is the same section with ``--deep 500``); a new one
  goes before the targets;
- the machine section is the full run's, with one line per partial run (command, date, tree)
  naming the sections that run rewrote; a later partial run of the same scenarios replaces it;
- target rows are matched by their first cell in the same way: a row measured again is replaced
  where it was, a new one appended;
- ``results.json``: ``samples`` are merged by key, every other entry that the partial run
  measured replaces the old one, and its machine and versions go under
  ``partial_runs[scenarios]``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from benchmarks.scaling import COLUMNS

MACHINE = "Machine and versions"
TARGETS = "Targets"
_NUMBER = re.compile(r"\d[\d,.]*")


def _key(text: str) -> str:
    return _NUMBER.sub("#", text.split(" (", 1)[0].strip())


def sections(text: str) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """(lines before the first section, [(key, lines of the section, heading first)])."""
    head: list[str] = []
    found: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("## "):
            found.append((_key(line[3:]), [line]))
        elif found:
            found[-1][1].append(line)
        else:
            head.append(line)
    return head, found


def _row_key(line: str) -> str | None:
    cells = line.split("|")
    if not line.startswith("| ") or len(cells) < 3 or set(cells[1].strip()) <= {"-"}:
        return None
    return _NUMBER.sub("#", cells[1].strip())


def _merge_targets(old: list[str], new: list[str]) -> list[str]:
    fresh = {k: line for line in new if (k := _row_key(line)) is not None and k != "target"}
    out, last_row = [], -1
    for line in old:
        k = _row_key(line)
        if k is not None and k in fresh:
            line = fresh.pop(k)
        out.append(line)
        if line.startswith("|"):
            last_row = len(out) - 1
    if last_row < 0:
        return new
    return out[: last_row + 1] + list(fresh.values()) + out[last_row + 1 :]


def _partial_line(new_machine: list[str], scenarios: list[str], written: list[str]) -> str:
    def bullet(prefix: str) -> str:
        line = next((x for x in new_machine if x.startswith(prefix)), "")
        return line[len(prefix) :].strip()

    return (
        f"- partial run ({','.join(scenarios)}): {bullet('- command:')}, "
        f"tree {bullet('- gokart-core tree:')}, work folder {bullet('- work folder:')}; "
        f"it rewrote: {', '.join(written)}"
    )


def merge_markdown(old_text: str, new_text: str, scenarios: list[str]) -> str:
    old_head, old_sections = sections(old_text)
    _, new_sections = sections(new_text)
    new_by_key = dict(new_sections)
    written = [
        lines[0][3:].split(" (", 1)[0] for k, lines in new_sections if k not in (MACHINE, TARGETS)
    ]
    out = list(old_head)
    placed: set[str] = set()
    for key, lines in old_sections:
        if key == MACHINE and MACHINE in new_by_key:
            tag = f"- partial run ({','.join(scenarios)}):"
            body = [x for x in lines if not x.startswith(tag)]
            end = max((i for i, x in enumerate(body) if x.startswith("- ")), default=0) + 1
            body.insert(end, _partial_line(new_by_key[MACHINE], scenarios, written))
            out.extend(body)
        elif key == TARGETS:
            for k, new_lines in new_sections:  # sections that the full run did not have
                if k not in placed and k not in (MACHINE, TARGETS) and k not in dict(old_sections):
                    out.extend(new_lines)
                    placed.add(k)
            out.extend(_merge_targets(lines, new_by_key.get(TARGETS, [])))
        elif key in new_by_key:
            out.extend(new_by_key[key])
        else:
            out.extend(lines)
        placed.add(key)
    for k, new_lines in new_sections:  # no targets section in the old file
        if k not in placed:
            out.extend(new_lines)
    return "\n".join(out).rstrip("\n") + "\n"


def keep_other_samples(data: dict[str, Any], output: Path) -> None:
    """A scaling run of some builds (``--scaling-shapes chain``, or ``--scaling-columns
    core-luigid --scaling-luigid-sizes 100000``) keeps the samples of every other build from
    ``output``'s ``.json``, so that its section shows all that was measured: the builds of the
    whole table take hours here, and are measured in several runs."""
    new = data.get("scaling")
    raw = output.with_suffix(".json")
    if not new or not raw.exists():
        return
    try:
        old = json.loads(raw.read_text()).get("scaling") or {}
    except ValueError:
        return
    if not old.get("samples"):
        return
    new["samples"] = _deep_merge(old["samples"], new["samples"])
    # A list of sizes grows only when this run built a column of it: a run through
    # gokart-luigid alone says nothing about the sizes of the baselines.
    built = {which for key, _, _, which in COLUMNS if key in new.get("columns", [])}
    for key in ("shapes", "columns", "sizes", "baseline_sizes", "luigid_sizes"):
        mine = list(new.get(key, []))
        if key.endswith("sizes") and key.removesuffix("_sizes") not in built:
            mine = []
        known = list(old.get(key, []))
        new[key] = known + [x for x in mine if x not in known]
        if key.endswith("sizes"):
            new[key] = sorted(new[key])
    new["workers_max_size"] = max(new.get("workers_max_size", 0), old.get("workers_max_size", 0))


def _deep_merge(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """``new`` over ``old``, dictionaries merged key by key (the samples of one build, a list,
    replaced whole)."""
    out = dict(old)
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def merge_json(old: dict[str, Any], new: dict[str, Any], scenarios: list[str]) -> dict[str, Any]:
    merged = dict(old)
    for key, value in new.items():
        if key in ("machine", "info") or value in ({}, None):
            continue
        if key == "samples":
            merged["samples"] = {**old.get("samples", {}), **value}
        else:
            merged[key] = value
    runs = dict(old.get("partial_runs", {}))
    runs[",".join(scenarios)] = {"machine": new.get("machine"), "info": new.get("info")}
    merged["partial_runs"] = runs
    return merged


def merge(
    path: Path, text: str, results: dict[str, Any], scenarios: list[str]
) -> tuple[str, dict[str, Any]]:
    """``text`` and ``results`` of a partial run merged into ``path`` and its ``.json``; as they
    are when ``path`` is missing or is not the benchmarks' results."""
    if not path.exists():
        return text, results
    old_text = path.read_text()
    if old_text.splitlines()[:1] != text.splitlines()[:1]:
        return text, results
    raw = path.with_suffix(".json")
    try:
        old_results = json.loads(raw.read_text()) if raw.exists() else {}
    except ValueError:
        old_results = {}
    return merge_markdown(old_text, text, scenarios), merge_json(old_results, results, scenarios)
