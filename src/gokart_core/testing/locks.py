"""Tests that every lock plugin should pass, with real processes contending.

Subclass :class:`LockConformance` in a lock plugin's tests and override the ``lock_settings``
fixture with the luigi config that turns the plugin on::

    class TestMyLock(LockConformance):
        takeover_seconds = 5.0

        @pytest.fixture
        def lock_settings(self, tmp_path):
            return {"my_lock": {"directory": str(tmp_path / "locks")}}

The plugin must be installed (found through its entry point): the tests start processes that
build a 20-task graph (``gokart_core.testing._lock_pipeline``) against one workspace.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, ClassVar

import pytest

from gokart_core.testing._lock_pipeline import EXPECTED_ROOT, ROOT_TASKS

Settings = dict[str, dict[str, Any]]


class LockPipeline:
    """Runs the lock pipeline in processes sharing one workspace and one lock configuration."""

    def __init__(self, root: Path, settings: Settings) -> None:
        self.root = root
        self.settings = settings

    def configure(self, **taskonkart: Any) -> None:
        sections: Settings = {name: dict(values) for name, values in self.settings.items()}
        shared = sections.setdefault("TaskOnKart", {})
        shared.update({"workspace_directory": str(self.root / "ws"), **taskonkart})
        lines = []
        for name, values in sections.items():
            lines += [f"[{name}]", *(f"{k}={v}" for k, v in values.items())]
        (self.root / "luigi.cfg").write_text("\n".join(lines) + "\n")

    def start(self, task: str, **env: str) -> subprocess.Popen[str]:
        if not (self.root / "luigi.cfg").exists():
            self.configure()
        return subprocess.Popen(
            [sys.executable, "-m", "gokart_core.testing._lock_pipeline", task],
            env={
                **os.environ,
                "LUIGI_CONFIG_PATH": str(self.root / "luigi.cfg"),
                "RUN_LOG": str(self.root / "runs.log"),
                **env,
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def runs(self) -> list[str]:
        log = self.root / "runs.log"
        return [line.split()[0] for line in log.read_text().splitlines()] if log.exists() else []

    def wait_for_run(self, name: str, proc: subprocess.Popen[str], timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while name not in self.runs():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, f"{name} never started"
            time.sleep(0.02)

    @staticmethod
    def finish(proc: subprocess.Popen[str], timeout: float = 180) -> Any:
        """The process's result (the JSON it printed); fails on a non-zero exit."""
        out, err = proc.communicate(timeout=timeout)
        assert proc.returncode == 0, err[-3000:]
        return json.loads(out.strip().splitlines()[-1])


class LockConformance:
    """Exactly-once runs under contention, fail-fast with retries, and a dead holder."""

    #: How soon after a holder is SIGKILLed another process must have taken the lock over.
    takeover_seconds: ClassVar[float]

    @pytest.fixture
    def lock_settings(self) -> Settings:
        """luigi config sections that turn the lock plugin on."""
        raise NotImplementedError("override the lock_settings fixture")

    @pytest.fixture
    def lock_pipeline(self, tmp_path: Path, lock_settings: Settings) -> LockPipeline:
        return LockPipeline(tmp_path, lock_settings)

    @pytest.mark.parametrize("redis_fail", [False, True], ids=["wait", "fail-and-retry"])
    def test_six_processes_run_every_task_exactly_once(
        self, lock_pipeline: LockPipeline, redis_fail: bool
    ) -> None:
        lock_pipeline.configure(should_lock_run="true", redis_fail=str(redis_fail).lower())
        procs = [lock_pipeline.start("Root", RUN_SLEEP="0.1") for _ in range(6)]
        for proc in procs:
            assert lock_pipeline.finish(proc) == EXPECTED_ROOT
        runs = Counter(lock_pipeline.runs())
        assert set(runs) == ROOT_TASKS
        assert all(n == 1 for n in runs.values()), runs

    def test_a_killed_holder_is_taken_over(self, lock_pipeline: LockPipeline) -> None:
        holder = lock_pipeline.start("Slow", RUN_SLEEP="120")
        lock_pipeline.wait_for_run("Slow", holder)
        follower = lock_pipeline.start("Slow", RUN_SLEEP="0")
        time.sleep(0.5)  # the follower is waiting for the run lock now
        assert lock_pipeline.runs() == ["Slow"]
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
        killed_at = time.monotonic()
        assert lock_pipeline.finish(follower) == "slow done"
        assert time.monotonic() - killed_at < self.takeover_seconds
        assert lock_pipeline.runs() == ["Slow", "Slow"]
