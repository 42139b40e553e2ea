"""The data of a finished build's summary, told to ``gokart_build_finished``:
:class:`BuildSummary` of :class:`TaskSummary` (collected by :mod:`.summary`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

logger = logging.getLogger(__name__)

#: The statuses of a task in a summary: luigi's names for them (its execution summary's), in
#: the order a task that luigi files under several gets the first of (``completed`` over
#: ``ever_failed``, for a task that succeeded on a retry).
STATUSES = (
    "completed",
    "already_done",
    "failed",
    "scheduling_error",
    "still_pending_ext",
    "run_by_other_worker",
    "upstream_failure",
    "upstream_missing_dependency",
    "upstream_run_by_other_worker",
    "upstream_scheduling_error",
    "not_run",
    "still_pending_not_ext",
)


@dataclass(frozen=True)
class TaskSummary:
    """One task of a build."""

    task_id: str
    #: luigi's family (``namespace.ClassName``) and the class's own name.
    family: str
    name: str
    #: The significant public parameters, as strings (``to_str_params(only_significant=True,
    #: only_public=True)``): never a ``PRIVATE`` / ``HIDDEN`` one (a password).
    params: Mapping[str, str]
    #: One of :data:`STATUSES`: ``completed`` ran in this build, ``already_done`` was complete
    #: before it, ``failed`` raised in ``run()``.
    status: str
    #: gokart's unique id of a ``TaskOnKart`` (None for other luigi tasks, and for a task whose
    #: ``requires()`` raises).
    unique_id: str | None = None
    #: For a failed task: the exception as Python prints it (``ValueError: bad row 3``), and the
    #: whole traceback; empty otherwise.
    error: str = ""
    traceback: str = ""


@dataclass(frozen=True)
class BuildSummary:
    """What one ``build()`` or ``run()`` did, told to ``gokart_build_finished``."""

    #: The root tasks' ids and luigi families, in the order the build was given them.
    root_task_ids: tuple[str, ...]
    root_task_names: tuple[str, ...]
    #: Every task the build scheduled, once each: described on first use (an implementation
    #: that sends nothing, Slack without a channel, costs no work per task).
    tasks: Sequence[TaskSummary]
    #: Whether the build finished: the root tasks' outputs are complete and nothing failed.
    success: bool
    #: Seconds from the call of ``build()`` / ``run()`` to the end of luigi's build.
    wall_seconds: float
    #: The root task objects themselves (for their dependency tree, say).
    root_tasks: tuple[Any, ...] = field(default=(), compare=False, repr=False)
    #: Each task id's status (one of :data:`STATUSES`), known without describing the tasks.
    statuses: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    def with_status(self, *statuses: str) -> tuple[TaskSummary, ...]:
        return tuple(t for t in self.tasks if t.status in statuses)

    @property
    def succeeded(self) -> tuple[TaskSummary, ...]:
        """The tasks that ran in this build and succeeded."""
        return self.with_status("completed")

    @property
    def failed(self) -> tuple[TaskSummary, ...]:
        return self.with_status("failed")

    @property
    def already_done(self) -> tuple[TaskSummary, ...]:
        return self.with_status("already_done")


class TaskSummaries(Sequence[TaskSummary]):
    """The tasks of a summary, described by ``describe`` when first asked for (a description
    that raises is a warning, and no tasks)."""

    def __init__(self, describe: Callable[[], tuple[TaskSummary, ...]]) -> None:
        self._describe: Callable[[], tuple[TaskSummary, ...]] | None = describe
        self._tasks: tuple[TaskSummary, ...] = ()

    def _all(self) -> tuple[TaskSummary, ...]:
        if self._describe is not None:
            describe, self._describe = self._describe, None
            try:
                self._tasks = describe()
            except Exception as exc:
                logger.warning(
                    "the build summary has no tasks: describing them raised %s: %s",
                    type(exc).__name__,
                    exc,
                )
        return self._tasks

    @overload
    def __getitem__(self, index: int) -> TaskSummary: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[TaskSummary, ...]: ...
    def __getitem__(self, index: int | slice) -> TaskSummary | tuple[TaskSummary, ...]:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return self._all() == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._all())


__all__ = ["STATUSES", "BuildSummary", "TaskSummaries", "TaskSummary"]
