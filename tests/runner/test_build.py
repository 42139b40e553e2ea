from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import luigi
import pytest

import gokart_core as gokart
import gokart_core.errors


class Leaf(gokart.TaskOnKart[Any]):
    n = luigi.IntParameter()

    def output(self) -> Any:
        return self.make_target("leaf.pkl")

    def run(self) -> None:
        self.dump(self.n)


class ListOut(gokart.TaskOnKart[Any]):
    def output(self) -> Any:
        return [self.make_target("a.pkl"), self.make_target("b.pkl")]

    def run(self) -> None:
        a, b = self.output()
        a.dump("a")
        b.dump("b")


class Boom(gokart.TaskOnKart[Any]):
    def output(self) -> Any:
        return self.make_target("boom.pkl")

    def run(self) -> None:
        raise ValueError("expected failure")


class NeedsBoom(gokart.TaskOnKart[Any]):
    def requires(self) -> Any:
        return Boom(workspace_directory=self.workspace_directory)

    def output(self) -> Any:
        return self.make_target("needs.pkl")

    def run(self) -> None:
        self.dump(1)


def test_build_returns_the_loaded_output(tmp_path: Path) -> None:
    assert gokart.build(Leaf(n=3, workspace_directory=str(tmp_path))) == 3
    assert gokart.build(ListOut(workspace_directory=str(tmp_path))) == ["a", "b"]
    assert gokart.build(Leaf(n=4, workspace_directory=str(tmp_path)), return_value=False) is None


def test_build_of_several_tasks_returns_a_list(tmp_path: Path) -> None:
    tasks = [Leaf(n=i, workspace_directory=str(tmp_path)) for i in range(3)]
    assert gokart.build(tasks) == [0, 1, 2]


def test_build_error_carries_the_exceptions_per_task(tmp_path: Path) -> None:
    task = NeedsBoom(workspace_directory=str(tmp_path))
    with pytest.raises(gokart.GokartBuildError) as info:
        gokart.build(task)
    raised = info.value.raised_exceptions
    assert list(raised) == [Boom(workspace_directory=str(tmp_path)).task_id]
    assert isinstance(raised[Boom(workspace_directory=str(tmp_path)).task_id][0], ValueError)
    # no output; only the logs a task writes when it starts (restore() of the failed run)
    assert [p.name for p in tmp_path.iterdir()] == ["log"]
    assert sorted(p.name for p in (tmp_path / "log").iterdir()) == ["random_seed", "task_params"]


def test_build_with_several_worker_processes(tmp_path: Path) -> None:
    tasks = [Leaf(n=i, workspace_directory=str(tmp_path)) for i in range(10, 14)]
    assert gokart.build(tasks, workers=2) == [10, 11, 12, 13]


def test_redefined_task_class_does_not_make_lookups_ambiguous() -> None:
    def define() -> type:
        class Redefined(gokart.TaskOnKart[Any]):
            pass

        return Redefined

    define()
    newest = define()
    gokart.build(Leaf(n=0, workspace_directory="memory://unused"), return_value=False)
    assert luigi.task_register.Register.get_task_cls("Redefined") is newest


PIPELINE = """
import luigi
import gokart_core as gokart
import gokart_core.errors

class Hello(gokart.TaskOnKart):
    name = luigi.Parameter(default="world")
    def output(self):
        return self.make_target("hello.pkl")
    def run(self):
        self.dump(f"hello {self.name}")

class Broken(gokart.TaskOnKart):
    def output(self):
        return self.make_target("broken.pkl")
    def run(self):
        raise RuntimeError("no")

class Counted(gokart.TaskOnKart):
    n = luigi.IntParameter()
    def run(self):
        self.dump(self.n)

if __name__ == "__main__":
    gokart.run()
"""


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["Hello", "--name", "cli"], 0),
        (["Broken"], 40),
        (["NoSuchTask"], 2),
        (["Counted", "--n", "abc"], 2),
        (["Counted", "--Counted-n", "1.5"], 2),
    ],
)
def test_run_command_line_and_exit_codes(tmp_path: Path, args: list[str], code: int) -> None:
    (tmp_path / "main.py").write_text(textwrap.dedent(PIPELINE))
    (tmp_path / "luigi.cfg").write_text("")
    proc = subprocess.run(
        [sys.executable, "main.py", *args, "--local-scheduler", "--workspace-directory", "ws"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "LUIGI_CONFIG_PATH": str(tmp_path / "luigi.cfg")},
        timeout=120,
    )
    assert proc.returncode == code, proc.stderr[-2000:]
    if code == 2:
        assert "Traceback" not in proc.stderr
        if args[0] == "NoSuchTask":
            assert "error: No task NoSuchTask" in proc.stderr
        else:  # the flag, the parameter and the value, in one line
            flag, value = args[1], args[2]
            assert f"error: {flag}: {value!r} is not a valid value of Counted.n" in proc.stderr
    if code == 0:
        (out,) = (tmp_path / "ws").glob("hello_*.pkl")
        assert gokart.make_target(str(out)).load() == "hello cli"


class Chain(gokart.TaskOnKart[Any]):
    depth = luigi.IntParameter()

    def requires(self) -> Any:
        if self.depth == 0:
            return []
        return Chain(depth=self.depth - 1, workspace_directory=self.workspace_directory)

    def output(self) -> Any:
        return self.make_target("chain.pkl")

    def run(self) -> None:
        self.dump(self.depth)


class FanIn(gokart.TaskOnKart[Any]):
    width = luigi.IntParameter()

    def requires(self) -> Any:
        return [Chain(depth=2, workspace_directory=self.workspace_directory)] + [
            Leaf(n=i, workspace_directory=self.workspace_directory) for i in range(self.width)
        ]

    def output(self) -> Any:
        return self.make_target("fan_in.pkl")

    def run(self) -> None:
        self.dump(len(self.load()))


@pytest.fixture
def exists_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every existence check that reaches the (real) local filesystem."""
    from fsspec.implementations.local import LocalFileSystem

    calls: list[str] = []
    real = LocalFileSystem.exists

    def exists(fs: Any, path: str, **kwargs: Any) -> bool:
        calls.append(path)
        return bool(real(fs, path, **kwargs))

    monkeypatch.setattr(LocalFileSystem, "exists", exists)
    return calls


def test_existence_is_checked_once_per_output_in_a_no_op_rebuild(
    tmp_path: Path, exists_calls: list[str]
) -> None:
    task = FanIn(width=20, workspace_directory=str(tmp_path))
    gokart.build(task)
    n_outputs = 1 + 3 + 20
    assert len(set(exists_calls)) == n_outputs
    # a fresh build asks at scheduling and once more right before run() (another worker may
    # have written the output meanwhile); a written output is then known to exist
    assert len(exists_calls) <= 2 * n_outputs
    exists_calls.clear()
    rebuilt = FanIn(width=20, workspace_directory=str(tmp_path))
    assert gokart.build(rebuilt) == 21
    # a complete root is asked once (scheduling); loading the result asks nothing more
    assert exists_calls == [rebuilt.output().fs_path]


class BadExtension(gokart.TaskOnKart[Any]):
    def output(self) -> Any:
        return self.make_target("out.unknownext")


def test_a_failing_complete_reaches_the_caller(tmp_path: Path) -> None:
    with pytest.raises(gokart.GokartBuildError) as info:
        gokart.build(BadExtension(workspace_directory=str(tmp_path)))
    (errors,) = info.value.raised_exceptions.values()
    assert isinstance(errors[0], gokart.UnknownFormatError)
    assert "'.unknownext'" in str(info.value)


def test_failures_in_worker_processes_are_named(tmp_path: Path) -> None:
    task = NeedsBoom(workspace_directory=str(tmp_path))
    with pytest.raises(gokart.GokartBuildError) as info:
        gokart.build([task, Leaf(n=99, workspace_directory=str(tmp_path))], workers=2)
    assert Boom(workspace_directory=str(tmp_path)).task_id in str(info.value)


class FlakyLock:
    """A lock plugin whose lock is 'held by another application' the first two times."""

    def __init__(self) -> None:
        self.refusals = 2

    @gokart.hookimpl
    def gokart_make_run_lock(self, key: str, settings: Any) -> Any:
        import contextlib

        @contextlib.contextmanager
        def lock() -> Any:
            if self.refusals:
                self.refusals -= 1
                raise gokart.TaskLockException(f"{key} is held")
            yield

        return lock()


class LockedLeaf(gokart.TaskOnKart[Any]):
    def output(self) -> Any:
        return self.make_target("locked.pkl")

    def run(self) -> None:
        self.dump("done")


def test_build_retries_when_only_locks_were_taken(plugins: Any, tmp_path: Path) -> None:
    flaky = FlakyLock()
    plugins.pm.register(flaky)
    task = LockedLeaf(workspace_directory=str(tmp_path), should_lock_run=True)
    assert gokart.build(task) == "done"
    assert flaky.refusals == 0


def test_build_gives_up_on_locks_after_max_tries(plugins: Any, tmp_path: Path) -> None:
    flaky = FlakyLock()
    plugins.pm.register(flaky)
    task = LockedLeaf(workspace_directory=str(tmp_path / "other"), should_lock_run=True)
    with pytest.raises(gokart.GokartBuildError) as info:
        gokart.build(task, task_lock_exception_max_tries=1)
    (errors,) = info.value.raised_exceptions.values()
    assert isinstance(errors[0], gokart.TaskLockException)
    # gokart's name for a build that only locks kept from finishing (gokart.errors)
    assert isinstance(info.value, gokart_core.errors.HasLockedTaskException)
