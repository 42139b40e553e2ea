"""``make_in_memory_target``: a target whose object stays in this process (gokart's
``gokart.in_memory.target``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import luigi

from gokart_core import forksafe
from gokart_core.errors import ProcessLocalStorageError
from gokart_core.in_memory.repository import InMemoryCacheRepository

_repository = InMemoryCacheRepository()


class InMemoryTarget(luigi.Target):
    """An output kept as the object itself under ``data_key``, in this process only."""

    def __init__(self, data_key: str, task_lock_params: Any = None) -> None:
        if getattr(task_lock_params, "should_task_lock", False):
            # gokart's rule: a lock guards files that several processes share; this is not one.
            raise ValueError("an in-memory target takes no lock (redis): it lives in one process")
        self._data_key = data_key

    def exists(self) -> bool:
        return _repository.has(self._data_key)

    def load(self) -> Any:
        return _repository.get_value(self._data_key)

    def dump(self, obj: Any) -> None:
        if forksafe.in_task_process():
            raise ProcessLocalStorageError(
                f"in-memory target {self._data_key!r}: this task runs in a process that luigi "
                "forked (workers>1), whose memory is gone when it ends; build with workers=1, "
                "or use a workspace on disk or an object store"
            )
        _repository.set_value(self._data_key, obj)

    def remove(self) -> None:
        if _repository.has(self._data_key):
            _repository.remove(self._data_key)

    def last_modification_time(self) -> datetime:
        return _repository.get_last_modification_time(self._data_key)

    def path(self) -> str:
        return self._data_key

    def __repr__(self) -> str:
        return f"InMemoryTarget({self._data_key!r})"


def make_in_memory_target(
    target_key: str, task_lock_params: Any = None, unique_id: str | None = None
) -> InMemoryTarget:
    """The in-memory target ``target_key`` (``{target_key}_{unique_id}`` when a unique id is
    given, as gokart's documentation calls it with one)."""
    key = target_key if unique_id is None else f"{target_key}_{unique_id}"
    return InMemoryTarget(key, task_lock_params)


__all__ = ["InMemoryTarget", "make_in_memory_target"]
