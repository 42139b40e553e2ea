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
from typing import Any

import luigi

from gokart_core.plugin_api import LockSettings, hookimpl


class gokart_file_lock(luigi.Config):  # lower case: the class name is the config section
    directory: str | None = luigi.OptionalParameter(
        default=None, description="A local folder for lock files; locking is on when set."
    )


def _file_lock(key: str, settings: LockSettings) -> AbstractContextManager[Any] | None:
    directory = gokart_file_lock().directory
    if directory is None:
        return None
    from gokart_filelock._lock import FileLock

    return FileLock(directory, key, fail_fast=settings.fail_fast)


@hookimpl
def gokart_make_target_lock(key: str, settings: LockSettings) -> AbstractContextManager[Any] | None:
    return _file_lock(key, settings)


@hookimpl
def gokart_make_run_lock(key: str, settings: LockSettings) -> AbstractContextManager[Any] | None:
    return _file_lock(key, settings)
