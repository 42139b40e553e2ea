"""The report of a build: recorded while it runs, written at most once a second while it
changes, and once more when the build ends, whatever the end (success, failure, an exception,
``sys.exit`` from luigi's command line).

The writes happen in a thread of the building process, never in the worker's calls (those
only record, :mod:`.collect`), so a slow object store slows the report, not the build. Output
sizes are asked once per task, when it is first seen complete; logs (``task_log``) are read at
the end, for the tasks that ran. A page that cannot be written is a warning naming the path, at
most once per build; the build goes on.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import luigi

from gokart_core.report import describe, page
from gokart_core.report.collect import RunCollector, TaskRecord
from gokart_core.report.model import LayoutCache, TaskEntry, page_data

logger = logging.getLogger(__name__)

#: Seconds between two writes during a build, at least (more for graphs whose page takes
#: longer than a tenth of a second to write).
WRITE_INTERVAL = 1.0
#: Seconds the end of a build waits for a write under way (a slow or hung store) before it
#: goes on without the final page.
STOP_WAIT = 60.0
#: Log files read at once at the end (each a GET on an object store).
LOG_READERS = 16


class LiveReport:
    """The report of one build, to ``url``. A listener of the build's scheduler (through its
    collector's methods)."""

    def __init__(
        self,
        url: str,
        roots: Sequence[luigi.Task] = (),
        *,
        storage_options: dict[str, Any] | None = None,
        interval: float = WRITE_INTERVAL,
        stop_wait: float = STOP_WAIT,
    ) -> None:
        self.url = url
        self.collector = RunCollector()
        self._roots = list(roots)
        self._options = storage_options or {}
        self._interval = interval
        self._stop_wait = stop_wait
        self._logs: dict[str, tuple[float | None, dict[str, Any]]] = {}
        self._objects: dict[str, luigi.Task] = {}
        self._details: dict[str, dict[str, Any]] = {}  # sized once the task is complete
        self._layouts = LayoutCache()
        self._written_version = -1
        self._warned = False
        self._write_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.writes = 0

    # the scheduler listener's interface (gokart_core.runner.observe), handed to the collector
    def on_scheduler(self) -> None:
        self.collector.on_scheduler()

    def on_add_task(self, call: Any) -> None:
        self.collector.on_add_task(call)

    def on_get_work(self, reply: Any) -> None:
        self.collector.on_get_work(reply)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="gokart-report", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the periodic writes and write the final page."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self._stop_wait)
            if self._thread.is_alive():  # never hang the build on its report
                logger.warning(
                    "the run report %s: a write has not finished in %.0f s (a slow store?); "
                    "the build ends without its final page",
                    self.url,
                    self._stop_wait,
                )
                return
        self.collector.finish()
        self.write(final=True)

    def _loop(self) -> None:
        # At most once a second, and, for a large graph, spending at most a tenth of the time
        # on writing: the writes share the interpreter with the worker.
        wait = self._interval
        while not self._stop.wait(wait):
            if self.collector.version != self._written_version:
                started = time.monotonic()
                self.write(final=False)
                wait = max(self._interval, 9 * (time.monotonic() - started))

    def write(self, *, final: bool) -> None:
        if os.getpid() != self.collector.pid:  # a forked child holding a copy: not its page
            return
        with self._write_lock:
            version = self.collector.version
            try:
                text = page.render(self._data(final))
                page.write(self.url, text, self._options)
            except Exception as exc:
                if not self._warned or final:
                    logger.warning("cannot write the run report %s: %s", self.url, exc)
                    self._warned = True
                return
            self._written_version = version
            self.writes += 1

    def _data(self, final: bool) -> dict[str, Any]:
        records = self.collector.snapshot()
        missing = {
            r.task_id: (r.module, r.family, r.str_params)
            for r in records
            if r.task_id not in self._objects
        }
        if missing:
            self._objects.update(describe.task_objects(self._roots, missing))
        if final:
            self._read_logs(records)
        entries = [self._entry(r, final) for r in records]
        title = describe.title(self._roots) or (records[0].family if records else "build")
        return page_data(
            entries,
            title=title,
            started=self.collector.started,
            finished=self.collector.finished,
            source="build",
            layouts=self._layouts,
        )

    def _read_logs(self, records: Sequence[TaskRecord]) -> None:
        """The logs of the tasks that ran, read once, at the end, several at a time."""
        wanted = [
            (r.task_id, self._objects[r.task_id])
            for r in records
            if r.ran
            and r.status == "DONE"
            and r.task_id in self._objects
            and r.task_id not in self._logs
        ]
        if not wanted:
            return
        with ThreadPoolExecutor(min(LOG_READERS, len(wanted)), "gokart-report-logs") as pool:
            read = pool.map(describe.logged, [task for _, task in wanted])
            for (task_id, _), logged in zip(wanted, read):
                self._logs[task_id] = logged

    def _entry(self, record: TaskRecord, final: bool) -> TaskEntry:
        entry = TaskEntry(record)
        task = self._objects.get(record.task_id)
        if task is None:
            return entry
        complete = record.status == "DONE"
        known = self._details.get(record.task_id)
        if known is None or (complete and not known["sized"]):
            try:
                found = describe.details(task, sizes=complete)
            except Exception as exc:  # a task that cannot describe itself is still drawn
                logger.debug("cannot describe %s: %s", task, exc)
                found = {"unique_id": "", "params": {}, "outputs": []}
            found["sized"] = complete  # paths without sizes until it is done
            known = self._details[record.task_id] = found
        entry.unique_id, entry.params = known["unique_id"], known["params"]
        entry.outputs = known["outputs"]
        if final and record.task_id in self._logs:
            entry.processing_time, entry.task_log = self._logs[record.task_id]
        return entry


@contextmanager
def build_report(
    url: str | None, roots: Sequence[luigi.Task] = (), **kwargs: Any
) -> Iterator[LiveReport | None]:
    """The report of one build to ``url`` (``None``: no report), written during the build and
    at its end."""
    if url is None:
        yield None
        return
    report = LiveReport(str(url), roots, **kwargs)
    report.start()
    try:
        yield report
    finally:
        report.stop()
