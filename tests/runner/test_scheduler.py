"""gokart-core's scheduler answers exactly as luigi's does, and builds use it by default.

The answers are compared call by call against ``luigi.scheduler.Scheduler`` on random graphs
(priorities, failures and retries, re-added tasks, two workers, disabled tasks, resources,
workers that leave), which reaches both the incremental paths and the ones that defer to
luigi's own algorithm. luigi's own scheduler tests run against it in ``nox -s luigi_scheduler``.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import luigi
import luigi.scheduler
import pytest
from luigi.task_status import DONE, FAILED, PENDING

import gokart_core as gokart
from gokart_core.runner import scheduler as chosen
from gokart_core.runner.scheduler import Scheduler

WORKERS = ("W1", "W2")


def _replay(cls: Any, seed: int, *, resources: bool, disable: bool, leave: bool) -> list[Any]:
    """Drive a scheduler of ``cls`` through a random build; every answer, in order."""
    rng = random.Random(seed)
    sch = cls(
        retry_delay=0,
        remove_delay=1000,
        worker_disconnect_delay=1000,
        disable_persist=1000,
        retry_count=2 if disable else 100,
        prune_on_get_work=True,
        resources={"db": 1},
    )
    ids = [f"T{i}" for i in range(50)]
    deps = {t: rng.sample(ids[:i], min(i, rng.randint(0, 3))) for i, t in enumerate(ids)}
    answers: list[Any] = []
    for task_id in rng.sample(ids, len(ids)):
        sch.add_task(
            worker=rng.choice(WORKERS),
            task_id=task_id,
            deps=deps[task_id],
            priority=rng.choice([0, 0, 1, 5]),
            resources={"db": 1} if resources and rng.random() < 0.2 else None,
        )
    for step in range(300):
        worker = rng.choice(WORKERS)
        reply = sch.get_work(worker=worker, current_tasks=[])
        answers.append((worker, reply))
        answers.append(sch.count_pending(worker))
        if reply.get("task_id"):
            status = DONE if rng.random() < 0.75 else FAILED
            sch.add_task(worker=worker, task_id=reply["task_id"], status=status, expl="x")
        elif rng.random() < 0.1:
            task_id = rng.choice(ids)
            sch.add_task(worker=worker, task_id=task_id, deps=deps[task_id], priority=7)
        elif rng.random() < 0.1:  # its requirements changed: luigi replaces the task's deps
            i = rng.randrange(len(ids))
            deps[ids[i]] = rng.sample(ids[:i], min(i, rng.randint(0, 3)))
            sch.add_task(worker=worker, task_id=ids[i], deps=deps[ids[i]])
        if leave and step == 150:  # W2 goes silent: the next prune drops it
            sch._state.get_worker("W2").last_active = 0
    shown = ("status", "workers", "worker_running", "priority", "deps", "resources")
    listed = sch.task_list("", "")  # what the web UI shows, but the timestamps
    answers.append({task_id: {k: v.get(k) for k in shown} for task_id, v in listed.items()})
    answers.append(sorted((t.id, t.status) for t in sch._state.get_active_tasks()))
    return answers


@pytest.mark.parametrize(
    "resources, disable, leave",
    [(False, False, False), (False, True, False), (True, False, False), (False, False, True)],
    ids=["plain", "disabled-tasks", "resources", "a-worker-leaves"],
)
def test_every_answer_is_luigis(resources: bool, disable: bool, leave: bool) -> None:
    for seed in range(40):
        expected = _replay(
            luigi.scheduler.Scheduler, seed, resources=resources, disable=disable, leave=leave
        )
        got = _replay(Scheduler, seed, resources=resources, disable=disable, leave=leave)
        assert got == expected, f"seed {seed}"


def test_a_task_whose_dependency_is_pruned_waits_as_in_luigi() -> None:
    """A DONE dependency that is removed from the state is not DONE any more for luigi."""
    for cls in (luigi.scheduler.Scheduler, Scheduler):
        sch = cls(remove_delay=0, prune_on_get_work=False)
        sch.add_task(worker="A", task_id="dep", status=DONE)
        sch.add_task(worker="B", task_id="root", deps=["dep"])
        assert sch.get_work(worker="B")["task_id"] == "root"
        sch.add_task(worker="B", task_id="root", status=PENDING)
        sch._state.get_task("dep").stakeholders.clear()
        sch.prune()  # marks dep for removal
        sch.prune()  # removes it
        assert not sch._state.has_task("dep")
        assert sch.get_work(worker="B")["task_id"] is None, cls


# ----------------------------------------------------------------------------- builds


class SchedLeaf(gokart.TaskOnKart[int]):
    i: int = luigi.IntParameter()

    def run(self) -> None:
        (Path(self.workspace_directory) / "runs").mkdir(exist_ok=True)
        (Path(self.workspace_directory) / "runs" / str(self.i)).touch()
        self.dump(self.i)


class SchedRoot(gokart.TaskOnKart[int]):
    n: int = luigi.IntParameter()

    def requires(self) -> Any:
        return [SchedLeaf(i=i, workspace_directory=self.workspace_directory) for i in range(self.n)]

    def run(self) -> None:
        self.dump(sum(self.load()))


@pytest.fixture
def get_work_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    original = Scheduler.get_work

    def spy(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs.get("worker", ""))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Scheduler, "get_work", spy)
    return calls


@pytest.mark.parametrize("workers", [1, 2])
def test_a_build_schedules_with_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, get_work_calls: list[str], workers: int
) -> None:
    monkeypatch.delenv(chosen.ENV_VAR, raising=False)
    workspace = str(tmp_path)
    root = SchedRoot(n=60, workspace_directory=workspace)
    assert gokart.build(root, workers=workers, reset_register=False) == sum(range(60))
    assert len(list((tmp_path / "runs").iterdir())) == 60
    assert len(get_work_calls) >= 61


def test_luigis_own_scheduler_on_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, get_work_calls: list[str]
) -> None:
    monkeypatch.setenv(chosen.ENV_VAR, "luigi")
    root = SchedRoot(n=5, workspace_directory=str(tmp_path))
    assert gokart.build(root, reset_register=False) == 10
    assert get_work_calls == []


def test_the_command_line_schedules_with_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, get_work_calls: list[str]
) -> None:
    monkeypatch.delenv(chosen.ENV_VAR, raising=False)
    args = ["SchedRoot", "--n", "4", "--local-scheduler", "--no-lock"]
    args += ["--SchedRoot-workspace-directory", str(tmp_path)]
    with pytest.raises(SystemExit) as exit_info:
        gokart.run(args)
    assert exit_info.value.code == 0
    assert len(get_work_calls) >= 5
    assert luigi.interface._WorkerSchedulerFactory is not chosen.WorkerSchedulerFactory


def test_a_wrong_choice_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(chosen.ENV_VAR, "fast")
    with pytest.raises(ValueError, match=r"\$GOKART_SCHEDULER is 'fast': use one of gokart, luigi"):
        chosen.use_gokart_scheduler()
