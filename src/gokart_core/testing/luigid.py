"""luigid (luigi's central scheduler) for tests: a subprocess on a free port of 127.0.0.1 with
a config of the test's own, which can be stopped (SIGTERM: luigid saves its state to
``--state-path``), killed (SIGKILL: it saves nothing) and restarted on the same port with the
same state path."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gokart_core.testing.servers import free_port, stop, wait_for_http

#: Test-friendly ``[scheduler]`` options (luigi's defaults are 60 s, 900 s and false): a
#: worker gone silent for 2 s is dropped and its running task retried 1 s later; every
#: ``get_work`` prunes first, so that this happens without waiting for the minute's prune.
SCHEDULER_DEFAULTS: Mapping[str, object] = {
    "worker_disconnect_delay": 2,
    "retry_delay": 1,
    "prune_on_get_work": "true",
}

# luigid's own entry point (``luigi.cmdline:luigid``) in this Python, or gokart-luigid's: no
# console script on PATH needed (a virtualenv that is not activated has none).
_LUIGID = "import sys; from luigi.cmdline import luigid; luigid(sys.argv[1:])"
_GOKART_LUIGID = "import sys; from gokart_core.runner.luigid import main; main(sys.argv[1:])"


@dataclass
class Luigid:
    """A running (or stopped) luigid; ``process`` is the current one."""

    port: int
    process: subprocess.Popen[bytes]
    state_path: Path
    config: Path
    log: Path
    gokart: bool = False  # gokart-luigid (gokart-core's scheduler) rather than luigid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """SIGTERM, as a service manager stops luigid: it saves its state and exits."""
        stop(self.process)

    def kill(self) -> None:
        """SIGKILL: luigid dies without saving its state."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def restart(self, timeout: float = 30) -> None:
        """Start luigid again (after :meth:`stop` or :meth:`kill`) on the same port, with the
        same config and state path; it loads the state saved there, if any."""
        assert self.process.poll() is not None, "luigid is still running"
        deadline = time.monotonic() + timeout
        while True:
            process = _spawn(self.port, self.state_path, self.config, self.log, self.gokart)
            try:
                wait_for_http(_ready_url(self.port), process, timeout=timeout)
            except (OSError, AssertionError):
                stop(process)
                # The port may still be held by a connection of the old process: try again.
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
                continue
            self.process = process
            return


def _ready_url(port: int) -> str:
    return f"http://127.0.0.1:{port}/api/task_list?data={{}}"


def _spawn(
    port: int, state_path: Path, config: Path, log: Path, gokart: bool
) -> subprocess.Popen[bytes]:
    args = ["--port", str(port), "--address", "127.0.0.1", "--state-path", str(state_path)]
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-c", _GOKART_LUIGID if gokart else _LUIGID, *args],
            cwd=config.parent,  # no stray ./luigi.cfg of the test's cwd
            env={**os.environ, "LUIGI_CONFIG_PATH": str(config)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def start_luigid(
    tmp: Path,
    *,
    port: int | None = None,
    state_path: Path | None = None,
    scheduler: Mapping[str, object] | None = None,
    sections: Mapping[str, Mapping[str, object]] | None = None,
    gokart: bool = False,
) -> Luigid:
    """Start luigid on ``port`` (a free one if None) with its state at ``state_path``
    (``tmp/luigid-state.pickle`` if None; loaded if it exists); logs to ``tmp/luigid.log``.

    ``scheduler`` options are laid over :data:`SCHEDULER_DEFAULTS` in ``[scheduler]``;
    ``sections`` adds other sections of luigid's config (``{"resources": {"db": 1}}``).
    ``gokart``: start ``gokart-luigid`` (gokart-core's scheduler) instead of luigid.
    """
    tmp.mkdir(parents=True, exist_ok=True)
    state = state_path if state_path is not None else tmp / "luigid-state.pickle"
    config = tmp / "luigid.cfg"
    extra = dict(sections or {})
    options = {**SCHEDULER_DEFAULTS, **extra.pop("scheduler", {}), **(scheduler or {})}
    config.write_text(_config_text(options, extra))
    log = tmp / "luigid.log"
    for _ in range(1 if port is not None else 5):
        chosen = port if port is not None else free_port()
        process = _spawn(chosen, state, config, log, gokart)
        try:
            wait_for_http(_ready_url(chosen), process)
        except (OSError, AssertionError):
            stop(process)  # the port was taken meanwhile: try another
            continue
        return Luigid(chosen, process, state, config, log, gokart)
    raise RuntimeError(f"could not start luigid (port {port or 'any free one'}); see {log}")


def _config_text(scheduler: Mapping[str, object], sections: Mapping[str, Mapping[str, Any]]) -> str:
    lines: list[str] = []
    for name, options in {**sections, "scheduler": scheduler}.items():
        lines.append(f"[{name}]")
        lines.extend(f"{key}={value}" for key, value in options.items())
    return "\n".join(lines) + "\n"
