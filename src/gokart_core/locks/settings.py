"""What a lock plugin is told: the lock's key and :class:`LockSettings`, never the task."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gokart_core.task import TaskOnKart


@dataclass(frozen=True)
class LockSettings:
    """How a task asked to be locked: gokart's ``redis_*`` parameters, made explicit.

    A lock plugin that is configured otherwise (gokart-filelock's ``[gokart_file_lock]``) may
    ignore ``host`` and ``port``; ``lease_seconds`` and ``fail_fast`` mean the same to all.
    """

    #: ``redis_host`` / ``redis_port``: where gokart-redis locks; None when not set. The host
    #: may be a URL (``redis://``, ``rediss://``, ``unix://``), the port then unset.
    host: str | None = None
    port: int | None = None
    #: ``redis_timeout``: the lease, renewed while the lock is held; how long a dead holder
    #: blocks the others.
    lease_seconds: float = 180.0
    #: Raise :class:`~gokart_core.TaskLockException` at once when another holds the lock,
    #: instead of waiting (``redis_fail``, for run locks only: a target's lock is held for one
    #: file operation and always worth waiting for).
    fail_fast: bool = False
    #: Who asks, for messages only (the task's class name).
    owner: str = ""

    @property
    def server_given(self) -> bool:
        """Whether a lock server is named (host and port set, or the host given as a URL)."""
        return self.host is not None and (self.port is not None or "://" in self.host)


def lock_settings(task: TaskOnKart[Any], *, run: bool) -> LockSettings:
    """The settings of ``task``'s run lock (``run=True``) or of its targets' locks."""
    return LockSettings(
        host=task.redis_host,
        port=None if task.redis_port is None else int(task.redis_port),
        lease_seconds=float(task.redis_timeout),
        fail_fast=run and bool(task.redis_fail),
        owner=type(task).__name__,
    )
