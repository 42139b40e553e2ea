"""Locks for gokart-core without a server: ``flock`` on lock files in a local folder.

For several processes on one machine (POSIX) that share a workspace. Turn it on in the luigi
config::

    [gokart_file_lock]
    directory=/var/tmp/gokart-locks

(or ``--gokart-file-lock-directory`` on the command line). The keys, and ``RunWithLock`` /
``should_lock_run`` / ``redis_fail``, work as with gokart-redis. A lock held by a process that
dies is released by the kernel at once. Lock files are never deleted (deleting a lock file
while another process waits on it would let a third one in).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import luigi

from gokart_core.plugin_api import hookimpl

if TYPE_CHECKING:
    from gokart_core import TaskOnKart


class gokart_file_lock(luigi.Config):  # lower case: the class name is the config section
    directory: str | None = luigi.OptionalParameter(
        default=None, description="A local folder for lock files; locking is on when set."
    )


@hookimpl
def gokart_make_lock(
    key: str, task: TaskOnKart[Any], run: bool
) -> AbstractContextManager[Any] | None:
    directory = gokart_file_lock().directory
    if directory is None:
        return None
    from gokart_filelock._lock import FileLock

    # As with redis: only the run lock fails fast; a target's lock is held for one operation.
    return FileLock(directory, key, fail_fast=run and bool(task.redis_fail))
