"""A live progress line for ``build()`` on a terminal: tasks done / total, the task running,
the time elapsed (drawn by tqdm).

The line follows what the worker tells the scheduler, not luigi's task events: with
``workers > 1`` tasks run in child processes, where their START/SUCCESS events fire, while the
worker's calls to the scheduler (``add_task`` for every status change, ``get_work`` for every
task it starts) always come from the building process. Observing them costs no ``complete()``
call. The total is the number of tasks the build schedules, as luigi walks the graph: a task
that is already complete counts as done, and the tasks it requires are not visited. With a
central scheduler the line counts what this process's worker schedules and runs: a task that
another worker runs stays pending here.

Whether the line is shown: ``build(progress=True/False)``; else the environment variable
``GOKART_PROGRESS``; else ``[gokart_core] progress`` in the luigi config; each ``true``,
``false`` or ``auto``. ``auto`` (the default) shows it when stderr is a terminal.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

import luigi.configuration
import luigi.interface
from luigi.task_status import DONE, FAILED, PENDING, RUNNING, UNKNOWN

if TYPE_CHECKING:
    from tqdm import tqdm

ENV_VAR = "GOKART_PROGRESS"
CONFIG_SECTION = "gokart_core"
CONFIG_OPTION = "progress"

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_AUTO = frozenset({"", "auto"})

#: Seconds between redraws: the clock keeps moving while a long task runs, and a build of
#: thousands of quick tasks is not slowed down by drawing each of them.
REDRAW_INTERVAL = 0.2

#: Loggers whose console output would otherwise be written into the middle of the line.
_LOGGERS = ("", "luigi", "luigi-interface", "gokart_core")

DEFAULT_WIDTH = 80
DEFAULT_HEIGHT = 24

BAR_FORMAT = "gokart |{bar}| {n_fmt}/{total_fmt} tasks [{elapsed}]{postfix}"


def _parse(value: str, source: str) -> bool | None:
    word = value.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    if word in _AUTO:
        return None
    raise ValueError(f"{source} must be true, false or auto, not {value!r}")


def progress_enabled(progress: bool | None, stream: TextIO) -> bool:
    """Whether ``build`` shows the line on ``stream``: the argument, else ``GOKART_PROGRESS``,
    else ``[gokart_core] progress``; when all say auto, whether ``stream`` is a terminal."""
    if progress is not None:
        return progress
    env = os.environ.get(ENV_VAR)
    if env is not None:
        setting = _parse(env, f"the environment variable {ENV_VAR}")
    else:
        config = luigi.configuration.get_config()
        value = config.get(CONFIG_SECTION, CONFIG_OPTION, "auto")
        setting = _parse(str(value), f"[{CONFIG_SECTION}] {CONFIG_OPTION} in the luigi config")
    if setting is not None:
        return setting
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class BuildProgress:
    """The progress line of one build: a listener of the build's scheduler
    (:mod:`gokart_core.runner.observe`); ``start()``/``stop()`` draw the line and leave it, with
    the final count, on the terminal."""

    def __init__(self, stream: TextIO, interval: float = REDRAW_INTERVAL) -> None:
        self._stream = stream
        self._interval = interval
        # Observations arrive in this process only; a forked worker child that still holds a
        # copy of this object must neither count nor take a lock another thread held at fork.
        self._pid = os.getpid()
        self._lock = threading.Lock()  # guards the counts below
        self._draw_lock = threading.Lock()  # one drawing at a time: redraws and log lines
        self._status: dict[str, str] = {}
        self._family: dict[str, str] = {}
        self._running: dict[str, None] = {}  # insertion-ordered: the newest is shown
        self._done = 0
        self._failed = 0
        self._working = False  # until the worker asks for work, it is scheduling
        self._bar: tqdm[Any] | None = None
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._wrapped_handlers: list[tuple[logging.Logger, logging.Handler, _BarSafeHandler]] = []

    # ------------------------------------------------------------------ observing the worker

    def on_scheduler(self) -> None:
        self.wrap_log_handlers()

    def on_add_task(self, call: Mapping[str, Any]) -> None:
        task_id, family = call.get("task_id"), call.get("family")
        status = call.get("status", PENDING)
        if task_id is None or status is None or os.getpid() != self._pid:
            return
        with self._lock:
            if family:
                self._family[task_id] = family
            if status == RUNNING:  # a running task reporting (tracking url): no change
                return
            self._running.pop(task_id, None)
            previous = self._status.get(task_id)
            self._status[task_id] = status
            self._done += (status == DONE) - (previous == DONE)
            self._failed += _is_failure(status) - _is_failure(previous)

    def on_get_work(self, reply: Any) -> None:
        if not isinstance(reply, dict) or os.getpid() != self._pid:
            return
        task_ids = reply.get("batch_task_ids") or [reply.get("task_id")]
        with self._lock:
            self._working = True
            for task_id in task_ids:
                if task_id is not None:
                    self._running[task_id] = None
                    if reply.get("task_family"):
                        self._family.setdefault(task_id, str(reply["task_family"]))

    def counts(self) -> tuple[int, int, int]:
        """``(done, failed, total)`` as seen so far."""
        with self._lock:
            return self._done, self._failed, len(self._status)

    # ------------------------------------------------------------------ drawing

    def start(self) -> None:
        # Imported here: a build without the line (and ``import gokart_core``) never pays for it.
        from tqdm import tqdm

        # A terminal that reports no size (a fresh pseudo-terminal says 0x0) would get an
        # empty line: draw 80 columns there, and follow the size where it is known.
        known = _terminal_width(self._stream) > 0
        self._bar = tqdm(
            total=0,
            file=self._stream,
            bar_format=BAR_FORMAT,
            dynamic_ncols=known,
            ncols=None if known else DEFAULT_WIDTH,
            nrows=None if known else DEFAULT_HEIGHT,  # 0 rows would hide the line
            postfix="scheduling",
            disable=False,
            leave=True,
        )
        self._ticker = threading.Thread(target=self._tick, name="gokart-progress", daemon=True)
        self._ticker.start()

    def stop(self) -> None:
        """Draw the final state and leave it on its own line; restore the log handlers."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        self._unwrap_log_handlers()
        if self._bar is not None:
            with self._draw_lock:
                self._draw()
                self._bar.close()

    def _tick(self) -> None:
        while not self._stop.wait(self._interval):
            with self._draw_lock:
                self._draw()

    def _draw(self) -> None:
        bar = self._bar
        if bar is None:
            return
        with self._lock:
            done, failed, total = self._done, self._failed, len(self._status)
            running = [self._family.get(t, t) for t in self._running]
            working = self._working
        parts = [] if working else ["scheduling"]
        if failed:
            parts.append(f"{failed} failed")
        if running:
            more = f" (+{len(running) - 1})" if len(running) > 1 else ""
            parts.append(f"running {running[-1]}{more}")
        bar.total = total
        bar.n = done
        bar.set_postfix_str(", ".join(parts), refresh=False)
        bar.refresh()

    # ------------------------------------------------------------------ log lines

    def wrap_log_handlers(self) -> None:
        """Make console log handlers clear the line before writing and redraw it afterwards.

        Called once luigi has set up its logging (when it asks the factory for a scheduler),
        so that luigi's own handler is included; undone by ``stop()``.
        """
        if self._wrapped_handlers or os.getpid() != self._pid:
            return
        consoles = {id(sys.stdout), id(sys.stderr), id(self._stream)}
        for name in _LOGGERS:
            lg = logging.getLogger(name)
            for index, handler in enumerate(list(lg.handlers)):
                stream = getattr(handler, "stream", None)
                console = isinstance(handler, logging.StreamHandler) and not isinstance(
                    handler, logging.FileHandler
                )
                if console and id(stream) in consoles:
                    safe = _BarSafeHandler(handler, self)
                    lg.handlers[index] = safe
                    self._wrapped_handlers.append((lg, handler, safe))

    def _unwrap_log_handlers(self) -> None:
        for lg, handler, safe in self._wrapped_handlers:
            if safe in lg.handlers:
                lg.handlers[lg.handlers.index(safe)] = handler
        self._wrapped_handlers.clear()

    def emit_beside_bar(self, handler: logging.Handler, record: logging.LogRecord) -> None:
        if self._bar is None:
            handler.handle(record)
            return
        if os.getpid() != self._pid:
            # A worker child (workers > 1): the line is the parent's, and so are its locks.
            # Blank it so that the record starts at the left; the parent redraws it.
            with contextlib.suppress(OSError, ValueError):
                self._stream.write("\r" + " " * (self._bar.ncols or DEFAULT_WIDTH) + "\r")
                self._stream.flush()
            handler.handle(record)
            return
        with self._draw_lock:
            self._bar.clear()
            handler.handle(record)
            self._draw()


def _terminal_width(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):  # no file descriptor, or not a terminal
        return 0


def _is_failure(status: str | None) -> bool:
    # UNKNOWN: complete() or requires() raised while scheduling.
    return status in (FAILED, UNKNOWN)


class _BarSafeHandler(logging.Handler):
    """Stands in for a console handler while the line is drawn; the handler's own level,
    filters and format still apply."""

    def __init__(self, inner: logging.Handler, progress: BuildProgress) -> None:
        # The logger checks a handler's level before calling it; Handler.handle(), which the
        # record is passed on to, checks only filters: the level must be this stand-in's.
        super().__init__(inner.level)
        self.inner = inner
        self._progress = progress

    def emit(self, record: logging.LogRecord) -> None:
        self._progress.emit_beside_bar(self.inner, record)


@contextmanager
def build_progress(
    progress: bool | None, stream: TextIO | None = None
) -> Iterator[BuildProgress | None]:
    """The progress line for one ``build`` on ``stream`` (stderr), or ``None`` when it is off
    (see :func:`progress_enabled`)."""
    out = sys.stderr if stream is None else stream
    if not progress_enabled(progress, out):
        yield None
        return
    line = BuildProgress(out)
    line.start()
    try:
        yield line
    finally:
        line.stop()


__all__ = ["CONFIG_OPTION", "CONFIG_SECTION", "ENV_VAR", "BuildProgress", "build_progress"]
