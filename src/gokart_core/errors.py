"""Exceptions raised by gokart-core. Every message names the path, format or plugin involved."""

from __future__ import annotations


class GokartError(Exception):
    """Base class of gokart-core's own errors."""


class UnknownFormatError(GokartError, ValueError):
    """No registered format matches a path's extension, or an explicit format name is unknown."""


class FormatRegistrationError(GokartError, ValueError):
    """Two plugins registered the same format name or extension without ``override=True``."""


class PluginNotInstalledError(GokartError, ImportError):
    """A format needs a module that is not installed; the message says what to install."""


class UnsupportedObjectError(GokartError, TypeError):
    """The object cannot be stored in the target's format. Raised before any file is written."""


class GokartBuildError(GokartError):
    """A build did not finish. ``raised_exceptions`` maps task ids to what their runs raised."""

    def __init__(
        self, message: str, raised_exceptions: dict[str, list[BaseException]] | None = None
    ) -> None:
        super().__init__(message)
        self.raised_exceptions: dict[str, list[BaseException]] = raised_exceptions or {}


class HasLockedTaskException(GokartBuildError):
    """A build failed only because other applications held the locks of its tasks, through
    every retry (``task_lock_exception_max_tries`` / ``task_lock_exception_max_wait_seconds``):
    gokart's name for it; a :class:`GokartBuildError` too."""


class EmptyDumpError(GokartError, AssertionError, ValueError):
    """``fail_on_empty_dump=True`` and the task dumped an empty DataFrame. gokart's name and
    base (``AssertionError``); a ``ValueError`` too, as gokart-core raised before."""


class DumpError(GokartError):
    """Writing a target failed; nothing was published at the target's path."""


class LoadError(GokartError):
    """A target exists but could not be read: truncated, corrupt, or not of its format."""


class TargetNotFoundError(GokartError, FileNotFoundError):
    """A target was loaded before anything was dumped to it."""


class TaskDefinitionError(GokartError):
    """``serialized_task_definition_check=True`` but the source code of the task class (or of
    a base class) cannot be found or parsed. The message names the class."""


class TaskLockException(GokartError):
    """A lock is held by another application and the task asked not to wait (``redis_fail``).

    luigi counts the task as failed; its ``[scheduler] retry_count``/``retry_delay`` run it again.
    """


class LockError(GokartError):
    """A lock could not be taken, renewed or released (its server is unreachable, or the lease
    was lost while held). The message names the lock server."""


class PandasTypeError(GokartError, TypeError):
    """A dumped DataFrame has a value whose type differs from the one its ``PandasTypeConfig``
    declares for the column. The message names the task, column, row and both types."""


class ProcessLocalStorageError(GokartError):
    """A task process that luigi forked (``workers>1``) was to write to a filesystem that lives
    in one process's memory (``memory://``): the output would be gone with the process. The
    message names the path and the way out."""


class OutsideWorkspaceError(GokartError, ValueError):
    """A target's path falls outside its task's ``workspace_directory`` (``..``, an absolute
    path, or a parameter value with either in it). The message names the path, the workspace
    and the way to allow it (``allow_outside_workspace = True`` on the task class)."""
