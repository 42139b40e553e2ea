"""How much CPU the other processes of the machine take while a benchmark runs (Linux).

A speed-up from parallel workers is only measurable when the cores are free: on a 2-core machine
shared with other jobs, one busy process elsewhere takes half of what ``workers=2`` could use.
:class:`Others` reads the CPU time of the whole machine (``/proc/stat``) and subtracts what the
benchmarks themselves used (the runner, its finished children and their descendants, from
``getrusage``, and long-running helpers such as the moto server, from ``/proc/PID/stat``): what is
left is the others' CPU, in cores on average over a span of wall time. Without ``/proc`` every
figure is ``None`` and nothing waits.
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass, field

_HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def machine_busy_s() -> float | None:
    """CPU seconds that every CPU together spent busy since boot (``/proc/stat``'s cpu line
    without idle and iowait)."""
    try:
        with open("/proc/stat") as fp:
            fields = [int(v) for v in fp.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / _HZ


def process_cpu_s(pid: int) -> float:
    """user + system CPU seconds of a running process (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fp:
            after_name = fp.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(after_name[11]) + int(after_name[12])) / _HZ


def own_cpu_s() -> float:
    """This process and its reaped descendants: user + system CPU seconds."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        ru = resource.getrusage(who)
        total += ru.ru_utime + ru.ru_stime
    return total


@dataclass
class Others:
    """The others' CPU between :meth:`start` and :meth:`cores`; ``helpers`` are pids whose CPU
    counts as the benchmark's own (a server it started)."""

    helpers: list[int] = field(default_factory=list)
    _start: tuple[float, float | None, float] = (0.0, None, 0.0)

    def _ours(self) -> float:
        return own_cpu_s() + sum(process_cpu_s(pid) for pid in self.helpers)

    def start(self) -> Others:
        self._start = (time.perf_counter(), machine_busy_s(), self._ours())
        return self

    def cores(self) -> float | None:
        """Cores that other processes kept busy on average since :meth:`start`."""
        wall0, busy0, ours0 = self._start
        busy = machine_busy_s()
        wall = time.perf_counter() - wall0
        if busy is None or busy0 is None or wall <= 0:
            return None
        return max(0.0, (busy - busy0) - (self._ours() - ours0)) / wall

    def wait_quiet(self, below: float, timeout: float, window: float = 1.0) -> float | None:
        """Wait, up to ``timeout`` seconds, for a ``window`` in which the others use fewer than
        ``below`` cores; return the others' cores in the last window."""
        deadline = time.monotonic() + timeout
        while True:
            self.start()
            time.sleep(window)
            level = self.cores()
            if level is None or level < below or time.monotonic() >= deadline:
                return level
