"""pytest plugin for the ``luigi_scheduler`` nox session: luigi's own scheduler and worker tests,
run against another scheduler class (issue 14).

Loaded with ``-p tests.luigi_conformance.plugin``. At ``pytest_configure``, before luigi's test
modules are imported, it imports the class named by ``GOKART_SCHEDULER_UNDER_TEST``
(``module:Class``; ``luigi.scheduler:Scheduler`` is the baseline) and makes it
``luigi.scheduler.Scheduler``, and the ``Scheduler`` of every luigi module that imported the name
already (``luigi.worker``: a ``Worker`` without a scheduler). luigi's local scheduler factory and
``luigi.server`` (imported later) look the name up there, and so do the tests'
``from luigi.scheduler import Scheduler``. A class that cannot be imported is a usage error: the
run fails, it is never skipped.

The tests of ``known_failures.txt`` beside this file (``test id  # reason``) fail with luigi's own
scheduler in this environment; they are marked ``xfail(strict=True)``, so one that passes fails,
and an entry naming a test that a collected file lacks is an error.

Two repairs of luigi's suite run outside its own CI: the modules that a task imports while it runs
are forgotten after each test (luigi's conftest forgets their tasks), and the server processes a
test leaves behind are ended at the end (a test failing in its setUp skips the tearDown that
would), so that the run ends.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import luigi.scheduler
import pytest

VARIABLE = "GOKART_SCHEDULER_UNDER_TEST"
KNOWN_FAILURES = Path(__file__).with_name("known_failures.txt")
ORIGINAL = luigi.scheduler.Scheduler
#: The markers of luigi's tests and conftest (luigi registers them in a config the sdist lacks).
LUIGI_MARKERS = ("scheduler", "unixsocket", "unmarked")

_under_test: type[luigi.scheduler.Scheduler] | None = None


def _load(spec: str) -> type[luigi.scheduler.Scheduler]:
    module_name, sep, qualname = spec.partition(":")
    if not sep or not module_name or not qualname:
        raise pytest.UsageError(f"{VARIABLE}={spec!r}: expected 'package.module:Class'")
    try:
        found: object = importlib.import_module(module_name)
        for part in qualname.split("."):
            found = getattr(found, part)
    except Exception as exc:  # ImportError, AttributeError, or the module's own error
        raise pytest.UsageError(
            f"{VARIABLE}={spec!r}: the scheduler under test cannot be imported: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    if not (isinstance(found, type) and issubclass(found, ORIGINAL)):
        raise pytest.UsageError(
            f"{VARIABLE}={spec!r} is not a subclass of luigi.scheduler.Scheduler"
        )
    return found


def _substitute(cls: type[luigi.scheduler.Scheduler]) -> None:
    """``cls`` as ``Scheduler`` wherever a loaded luigi module holds luigi's own."""
    for name, module in list(sys.modules.items()):
        if (name == "luigi" or name.startswith("luigi.")) and (
            getattr(module, "Scheduler", None) is ORIGINAL
        ):
            module.Scheduler = cls  # type: ignore[attr-defined]


def _still_original(tests_root: Path) -> list[str]:
    """luigi's modules and its tests' that still hold luigi's own class: missed substitutions."""
    if _under_test is ORIGINAL:
        return []
    missed = []
    for name, module in list(sys.modules.items()):
        if getattr(module, "Scheduler", None) is not ORIGINAL:
            continue
        path = Path(getattr(module, "__file__", None) or "/").resolve()
        if name == "luigi" or name.startswith("luigi.") or path.is_relative_to(tests_root):
            missed.append(name)
    return sorted(missed)


def pytest_configure(config: pytest.Config) -> None:
    global _under_test
    for marker in LUIGI_MARKERS:
        config.addinivalue_line("markers", f"{marker}: a marker of luigi's tests")
    spec = os.environ.get(VARIABLE)
    if not spec:
        raise pytest.UsageError(f"{VARIABLE} is not set (e.g. 'luigi.scheduler:Scheduler')")
    _under_test = _load(spec)
    _substitute(_under_test)
    import luigi.server  # imported now, it binds the class under test

    assert luigi.server.Scheduler is _under_test


def pytest_report_header(config: pytest.Config) -> str:
    assert _under_test is not None
    return f"scheduler under test: {_under_test.__module__}.{_under_test.__qualname__}"


def _known_failures() -> dict[str, str]:
    known = {}
    for number, line in enumerate(KNOWN_FAILURES.read_text().splitlines(), 1):
        test_id, _, reason = line.partition("#")
        test_id, reason = test_id.strip(), reason.strip()
        if not test_id:
            continue
        if not reason:
            raise pytest.UsageError(f"{KNOWN_FAILURES.name}:{number}: {test_id} has no reason")
        known[test_id] = reason
    return known


@pytest.hookimpl(tryfirst=True)  # before -k/-m deselect: every collected test is seen
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missed = _still_original(config.rootpath.resolve())
    if missed:
        raise pytest.UsageError(
            "luigi's own Scheduler is still bound in modules imported before the substitution: "
            + ", ".join(missed)
        )
    known = _known_failures()
    for item in items:
        reason = known.pop(item.nodeid, None)
        if reason is not None:
            item.add_marker(pytest.mark.xfail(reason=reason, strict=True))
    # An entry whose file was collected but whose test was not is stale (renamed in luigi).
    files = {item.nodeid.partition("::")[0] for item in items}
    stale = sorted(test_id for test_id in known if test_id.partition("::")[0] in files)
    if stale:
        raise pytest.UsageError(
            f"{KNOWN_FAILURES.name} names tests that were not collected: " + ", ".join(stale)
        )


@pytest.fixture(autouse=True)
def _forget_modules_imported_by_tasks(request: pytest.FixtureRequest) -> Iterator[None]:
    """luigi's conftest resets the task registry after each test, but Python keeps the modules
    that a task imported while running (``other_module``): a later test importing one again would
    find its tasks unregistered. Forget those modules too, as a fresh process would."""
    before = set(sys.modules)
    yield
    root = request.config.rootpath.resolve()
    for name in set(sys.modules) - before:
        path = getattr(sys.modules[name], "__file__", None)
        if path and Path(path).resolve().is_relative_to(root):
            del sys.modules[name]


def pytest_sessionfinish(session: pytest.Session) -> None:
    """End the processes that tests left running. A server that a test failing in its setUp
    started is not a daemon: multiprocessing would wait for it at exit, and the run never end."""
    left = multiprocessing.active_children()
    for process in left:
        process.terminate()
    for process in left:
        process.join(5)
        if process.is_alive():
            process.kill()
            process.join(5)
    blocking = [p for p in left if not p.daemon]
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if blocking and reporter is not None:
        kinds = Counter(p.name.rpartition("-")[0] or p.name for p in blocking)
        reporter.write_line(
            "luigi_conformance: ended the processes that tests left running: "
            + ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
        )
