"""Durable local writes (issue 18): with ``durable_writes`` on, the file is fsynced before its
rename and its folder after it; off by default. A power loss cannot be made here, so the test
watches the system calls (the real ``os.fsync`` still runs)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

import gokart_core as gokart
from gokart_core.target import storage


def _watch_fsync(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    calls: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        calls.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(src: str, dst: str) -> None:
        calls.append(("replace", str(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    return calls


@pytest.mark.parametrize("how", ["env", "config"])
def test_durable_writes_fsync_the_file_then_rename_then_fsync_the_folder(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    set_config: Callable[[str, str, str], None],
    how: str,
) -> None:
    if how == "env":
        monkeypatch.setenv(storage.DURABLE_ENV_VAR, "true")
    else:
        set_config("gokart_core", storage.DURABLE_OPTION, "true")
    assert storage.durable_writes()
    target = tmp_path / "out" / "x.pkl"
    calls = _watch_fsync(monkeypatch)
    gokart.make_target(str(target)).dump({"a": 1})
    assert [kind for kind, _ in calls] == ["fsync", "replace", "fsync"]
    assert calls[0][1].startswith(str(target.parent / ".x.pkl."))  # the temporary file
    assert calls[1][1] == str(target)
    assert calls[2][1] == str(target.parent)  # the folder holding the new name
    assert gokart.make_target(str(target)).load() == {"a": 1}


def test_off_by_default_and_switched_off_by_the_environment(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    set_config: Callable[[str, str, str], None],
) -> None:
    monkeypatch.delenv(storage.DURABLE_ENV_VAR, raising=False)
    assert not storage.durable_writes()
    set_config("gokart_core", storage.DURABLE_OPTION, "true")
    monkeypatch.setenv(storage.DURABLE_ENV_VAR, "false")  # the environment wins
    calls = _watch_fsync(monkeypatch)
    gokart.make_target(str(tmp_path / "x.pkl")).dump(1)
    assert [kind for kind, _ in calls] == ["replace"]
