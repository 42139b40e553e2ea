"""gokart's lock keys, so that gokart and gokart-core applications exclude each other."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gokart_core.task import TaskOnKart


def make_lock_key(file_path: str, unique_id: str | None) -> str:
    """A target's key: ``{file name without extension}_{unique_id}``."""
    return f"{os.path.splitext(os.path.basename(file_path))[0]}_{unique_id}"


def run_lock_key(task: TaskOnKart[Any]) -> str:
    """A run's key: ``{ClassName}_{unique_id}-run``."""
    return make_lock_key(type(task).__name__, task.make_unique_id() + "-run")
