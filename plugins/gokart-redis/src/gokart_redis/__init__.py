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
from typing import TYPE_CHECKING, Any

from gokart_core.plugin_api import hookimpl

if TYPE_CHECKING:
    from gokart_core import TaskOnKart


@hookimpl
def gokart_make_lock(
    key: str, task: TaskOnKart[Any], run: bool
) -> AbstractContextManager[Any] | None:
    if task.redis_host is None or task.redis_port is None:
        return None
    from gokart_redis._lock import RedisLock  # redis-py is imported only when locking is on

    return RedisLock(
        host=task.redis_host,
        port=int(task.redis_port),
        key=key,
        timeout=float(task.redis_timeout),
        # A target's lock is held for one file operation: always worth waiting for. Only the run
        # lock fails fast, so that a task whose run() already ran is never failed by its dump.
        fail_fast=run and bool(task.redis_fail),
    )
