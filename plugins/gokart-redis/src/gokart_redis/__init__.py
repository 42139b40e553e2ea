"""The redis lock for gokart-core.

Active for a task when it names a redis: ``redis_host`` and ``redis_port`` (per task, with
``--redis-host``/``--redis-port``, or in ``[TaskOnKart]`` of the luigi config), ``redis_host``
as a URL, or the ``url`` or ``sentinels`` option of ``[gokart_redis]`` (passwords, TLS, a
database, Sentinel and the retries there too, or in ``GOKART_REDIS_*``: :mod:`._settings`). Every
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
from gokart_redis._settings import resolve


def _redis_lock(key: str, settings: LockSettings) -> AbstractContextManager[Any] | None:
    server = resolve(settings)
    if server is None:
        return None
    from gokart_redis._lock import RedisLock  # redis-py is imported only when locking is on

    return RedisLock(server, key=key, timeout=settings.lease_seconds, fail_fast=settings.fail_fast)


@hookimpl
def gokart_make_target_lock(key: str, settings: LockSettings) -> AbstractContextManager[Any] | None:
    return _redis_lock(key, settings)


@hookimpl
def gokart_make_run_lock(key: str, settings: LockSettings) -> AbstractContextManager[Any] | None:
    return _redis_lock(key, settings)
