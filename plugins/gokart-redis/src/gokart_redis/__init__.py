"""The redis lock for gokart-core.

Active for a task when both ``redis_host`` and ``redis_port`` are set (per task, with
``--redis-host``/``--redis-port``, or in ``[TaskOnKart]`` of the luigi config). Every
``exists``/``load``/``dump``/``remove`` of an output then runs under the lock
``{file name without extension}_{unique_id}``, and ``RunWithLock`` / ``should_lock_run`` hold
``{ClassName}_{unique_id}-run`` around ``run()``: gokart's keys, so gokart and gokart-core
applications exclude each other too. With ``redis_fail=True`` a run lock held elsewhere fails
the task at once (``gokart_core.build`` tries again later); target locks always wait.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from gokart_core.plugin_api import LockSettings, hookimpl


def _redis_lock(key: str, settings: LockSettings) -> AbstractContextManager[Any] | None:
    if settings.host is None or settings.port is None:
        return None
    from gokart_redis._lock import RedisLock  # the client is imported only when locking is on

    return RedisLock(
        host=settings.host,
        port=settings.port,
        key=key,
        timeout=settings.lease_seconds,
        fail_fast=settings.fail_fast,
    )


@hookimpl
def gokart_make_target_lock(key: str, settings: LockSettings) -> AbstractContextManager[Any] | None:
    return _redis_lock(key, settings)


@hookimpl
def gokart_make_run_lock(key: str, settings: LockSettings) -> AbstractContextManager[Any] | None:
    return _redis_lock(key, settings)
