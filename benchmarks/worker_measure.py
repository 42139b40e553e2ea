"""What a worker measures of itself: the resident set size now and its peak since a reset (from
``/proc/self``, Linux), and :class:`Timed`, the wall time of a block, profiled with pyinstrument
when the spec names a profile file. The standard library only at the top (see
:mod:`benchmarks.worker`)."""

from __future__ import annotations

import resource
import time
from typing import Any


def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as fp:
            for line in fp:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_bytes() -> int:
    """The resident set size now (``VmRSS``), or the peak where /proc is missing."""
    kib = _status_kib("VmRSS")
    return kib * 1024 if kib is not None else peak_rss_bytes()


def reset_peak_rss() -> bool:
    """Reset the kernel's high-water mark of this process to its RSS now (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as fp:
            fp.write("5")
    except OSError:
        return False
    return True


def peak_rss_bytes() -> int:
    """The peak resident set size since the last :func:`reset_peak_rss` (``VmHWM``)."""
    kib = _status_kib("VmHWM")
    if kib is not None:
        return kib * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class Timed:
    """Times a block; profiles it with pyinstrument when the spec asks for a profile."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.profile_path: str | None = spec.get("profile")
        self.seconds = 0.0
        self._profiler: Any = None

    def __enter__(self) -> Timed:
        if self.profile_path:
            from pyinstrument import Profiler

            self._profiler = Profiler(interval=0.001)
            self._profiler.start()
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._start
        if self._profiler is not None:
            self._profiler.stop()
            text = self._profiler.output_text(unicode=False, color=False, show_all=False)
            flat = self._profiler.output_text(unicode=False, color=False, flat=True)
            with open(self.profile_path, "w") as fp:  # type: ignore[arg-type]
                fp.write(text)
                fp.write("\n---- flat (self time per function) ----\n")
                fp.write("\n".join(flat.splitlines()[:60]) + "\n")
