"""The report of the ``s3`` scenario (:mod:`benchmarks.s3_requests`): its Markdown section of
``results.md`` (requests of each step by kind, gokart-core against gokart) and its row of the
targets table (issue 7: a rebuild sends at most 1/10 of gokart's requests)."""

from __future__ import annotations

from typing import Any

from benchmarks.runner import LABELS
from benchmarks.s3_worker import BUCKET, STEPS

TITLES = {
    "build": "full build",
    "noop": "no-op rebuild (every output there)",
    "rebuild": "rebuild of the root (every leaf asked)",
}


def _runs(data: dict[str, Any]) -> int:
    """How many times the rebuilds ran (older results: once)."""
    steps = data.get("steps", {}).values()
    found = [len(r.get("runs_s", [0])) for by_step in steps for r in by_step.values()]
    return max(found, default=1)


def render(data: dict[str, Any], targets: list[tuple[str, str, str]]) -> list[str]:
    """The Markdown section of the s3 scenario; appends its target to ``targets``."""
    n = data["n"]
    out = [f"## S3 requests: a fan-in of {n:,} tasks on one moto server\n"]
    out.append(
        f"{n - 1:,} leaves and a root that requires them all and loads nothing, in workspaces "
        f"`s3://{BUCKET}/core` and `s3://{BUCKET}/gokart` of one moto S3 server on 127.0.0.1 "
        "(gokart-core through gokart-s3 and s3fs, gokart through boto3). Each step is a fresh "
        "process of the implementation's interpreter; requests are counted from the server's "
        "log between a marker sent just before `build()` and one sent after the process "
        "exited. *no-op rebuild*: everything is there, luigi asks the root only. *rebuild of "
        "the root*: the root's output is removed first (not counted), so luigi asks every "
        "leaf's `complete()`, all complete, and the root runs again (its output and "
        "supplementary logs are written). *existence* counts HEADs and listings; *GET* and "
        "*PUT* are object reads (the root's value that `build()` returns) and writes. *build "
        "time*: the full build's (one run); for the two rebuilds, the median of "
        f"{_runs(data)} run(s), the implementations interleaved (requests: the first run's).\n"
    )
    if "error" in data:
        out.append(f"Not measured: {data['error']}\n")
        targets.append((_target_name(n), f"not measured ({data['error'][:80]})", "not measured"))
        return out
    out.append(f"Server: {data['server']}.\n")
    for impl, label in (("core", "gokart-core"), ("gokart", "gokart 1.12.2")):
        first = next(iter(data["steps"].get(impl, {}).values()), None)
        if first and first.get("versions"):
            names = ", ".join(f"{k} {v}" for k, v in first["versions"].items())
            out.append(f"- {label}: {names}")
    out.append("")
    out.append(
        "| step | implementation | requests | existence | HEAD | list | GET | PUT | other "
        "| vs gokart | build time |"
    )
    out.append("|---|---|---|---|---|---|---|---|---|---|---|")
    steps = data["steps"]
    for step in STEPS:
        gk = steps.get("gokart", {}).get(step, {})
        for impl, label in (("core", "gokart-core"), ("gokart", "gokart 1.12.2")):
            r = steps.get(impl, {}).get(step)
            if r is None:
                continue
            if not r.get("ok"):
                out.append(
                    f"| {TITLES[step]} | {label} | failed: {r.get('error')}: "
                    f"{str(r.get('message', ''))[:120].replace('|', '/')} ||||||||"
                )
                continue
            q = r["requests"]
            vs = ""
            if impl == "core" and gk.get("ok") and gk["requests"]["all"]:
                vs = f"1/{gk['requests']['all'] / max(q['all'], 1):.1f}"
            out.append(
                f"| {TITLES[step]} | {label} | {q['all']} | {q['existence']} | {q['HEAD']} "
                f"| {q['list']} | {q['GET']} | {q['PUT']} | {q['other']} | {vs} "
                f"| {r['seconds']:.2f} s |"
            )
    out.append("")
    varied = [
        f"{LABELS.get(impl, impl)} {TITLES[step]}: {sorted(set(r['runs_requests']))}"
        for impl, by_step in steps.items()
        for step, r in by_step.items()
        if len(set(r.get("runs_requests", []))) > 1
    ]
    if varied:
        out.append(f"Request counts that differed between runs: {'; '.join(varied)}.\n")
    core = steps.get("core", {}).get("rebuild", {})
    gk = steps.get("gokart", {}).get("rebuild", {})
    if core.get("ok") and gk.get("ok"):
        c, g = core["requests"]["all"], gk["requests"]["all"]
        ce, ge = core["requests"]["existence"], gk["requests"]["existence"]
        targets.append(
            (
                _target_name(n),
                f"{c} vs {g} requests (1/{g / max(c, 1):.1f}); existence checks {ce} vs {ge}",
                "yes" if c * 10 <= g else "**no**",
            )
        )
    elif "gokart" not in steps:
        targets.append((_target_name(n), "gokart not run (--only-gokart-core)", "not measured"))
    else:
        targets.append((_target_name(n), "failed", "**no**"))
    return out


def _target_name(n: int) -> str:
    return f"S3 requests of a rebuild of a {n:,}-task graph ≤ 1/10 of gokart's (issue 7)"
