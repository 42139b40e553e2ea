"""What the report says of the machine a run measured on: CPUs (the ones this process may use),
CPU model, memory, kernel, the work folder and its file system, the gokart-core tree (``git
describe``) and the date."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from benchmarks.runner import ROOT


def machine_info(workroot: Path) -> dict[str, Any]:
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as fp:
            for line in fp:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = None
    try:
        with open("/proc/meminfo") as fp:
            for line in fp:
                if line.startswith("MemTotal:"):
                    memory = int(line.split()[1]) * 1024
    except OSError:
        pass
    fstype = "unknown"
    try:
        best = ""
        with open("/proc/mounts") as fp:
            for line in fp:
                parts = line.split()
                mount = parts[1]
                if str(workroot).startswith(mount) and len(mount) > len(best):
                    best, fstype = mount, parts[2]
    except OSError:
        pass
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = os.cpu_count() or 0
    commit = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "nproc": affinity,
        "cpu": cpu,
        "memory": memory,
        "kernel": platform.release(),
        "workdir": str(workroot.parent),
        "workdir_fs": fstype,
        "commit": commit or "unknown",
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }
