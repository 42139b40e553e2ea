"""An exclusive ``flock`` on ``{directory}/{key}.lock``."""

from __future__ import annotations

import fcntl
import os
from types import TracebackType

from gokart_core.plugin_api import LockError, TaskLockException


class FileLock:
    """A context manager holding the lock file's ``flock``; re-enterable one ``with`` at a time.

    ``flock`` belongs to the open file: the kernel drops it when the process dies, so a killed
    holder never blocks the others.
    """

    def __init__(self, directory: str, key: str, fail_fast: bool) -> None:
        self.path = os.path.join(directory, f"{key}.lock")
        self.fail_fast = fail_fast
        self._fd: int | None = None

    def __enter__(self) -> FileLock:
        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise LockError(f"cannot open the lock file {self.path!r}: {exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (fcntl.LOCK_NB if self.fail_fast else 0))
        except BlockingIOError:
            os.close(fd)
            raise TaskLockException(
                f"the lock {self.path!r} is held by another process (redis_fail=True: failing "
                "now; gokart_core.build tries again later)"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the file releases the flock
