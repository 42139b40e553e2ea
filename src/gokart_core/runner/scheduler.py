"""The scheduler of a build: luigi's, with bookkeeping that keeps each call's cost flat as the
graph grows (:mod:`gokart_core.luigi_internals.scheduler`), or luigi's own.

``gokart_core.build`` and ``gokart_core.run`` schedule locally with it unless told otherwise:
``GOKART_SCHEDULER=luigi`` in the environment, or ``scheduler = luigi`` in the ``[gokart_core]``
section of the luigi config, brings luigi's own back (the environment wins). A build given a
``worker_scheduler_factory`` uses that one. For many machines, ``gokart-luigid`` serves luigid's
HTTP API and pages with it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any

import luigi.configuration

from gokart_core import luigi_internals
from gokart_core.luigi_internals.scheduler import (
    Scheduler,
    WorkerSchedulerFactory,
    as_luigi_default,
)

__all__ = [
    "ENV_VAR",
    "Scheduler",
    "WorkerSchedulerFactory",
    "default_factory",
    "on_the_command_line",
    "use_gokart_scheduler",
]

#: The environment variable that chooses the scheduler: ``gokart`` (the default) or ``luigi``.
ENV_VAR = "GOKART_SCHEDULER"
_CHOICES = ("gokart", "luigi")


def use_gokart_scheduler() -> bool:
    """Whether builds schedule with :class:`Scheduler` (else with luigi's own)."""
    choice = os.environ.get(ENV_VAR)
    source = f"${ENV_VAR}"
    if choice is None:
        choice = luigi.configuration.get_config().get("gokart_core", "scheduler", "gokart")
        source = "[gokart_core] scheduler"
    choice = str(choice).strip().lower()
    if choice not in _CHOICES:
        raise ValueError(f"{source} is {choice!r}: use one of {', '.join(_CHOICES)}")
    return choice == "gokart"


def default_factory() -> Any:
    """The worker-scheduler factory of a build that names none: ours, or None for luigi's."""
    return WorkerSchedulerFactory() if use_gokart_scheduler() else None


@contextlib.contextmanager
def on_the_command_line(on_worker: Callable[[Any], None] | None = None) -> Iterator[None]:
    """Inside the block, luigi's command line (which takes no factory) schedules locally with
    the chosen scheduler. ``on_worker`` is told each worker the command line makes (the
    building process's, which records the build's outcome)."""
    if on_worker is None and not use_gokart_scheduler():
        yield
        return
    base: Any = (
        WorkerSchedulerFactory
        if use_gokart_scheduler()
        else type(luigi_internals.default_worker_scheduler_factory())
    )
    if on_worker is None:
        with as_luigi_default(base):
            yield
        return
    told = on_worker

    class Recording(base):  # type: ignore[misc]
        def create_worker(self, *args: Any, **kwargs: Any) -> Any:
            worker = super().create_worker(*args, **kwargs)
            told(worker)
            return worker

    with as_luigi_default(Recording):
        yield
