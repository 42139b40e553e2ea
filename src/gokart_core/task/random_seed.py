"""gokart's fixed random seeds: before a task runs, every function named in
``fix_random_seed_methods`` (``random.seed`` and ``numpy.random.seed`` by default) is called with
the task's seed, so that a rerun of the same parameters draws the same numbers.

The seed is ``fix_random_seed_value`` when set, else ``int(unique_id, 16) % (2**32 - 1)`` (the
largest seed numpy takes), as in gokart; the functions that could be called and the seed are
logged to ``log/random_seed/{ClassName}_{unique_id}.pkl`` as
``{"seed": seed, "seed_methods": [names]}``. A name that does not import, or has no such
attribute, is left out of the log, as gokart leaves it: numpy need not be installed.

Like gokart, this happens only with ``should_dump_supplementary_log_files`` (the default).

Seeding numpy imports it (~0.1 s) where nothing had yet. With ``workers=N`` luigi forks a child
per task, and each child would import it again: so the first fork of a process imports the
modules of the default seeding functions first, once, and every child inherits them.
"""

from __future__ import annotations

import contextlib
import importlib
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gokart_core.task import TaskOnKart


def seed_of(task: TaskOnKart[Any]) -> int:
    value = task.fix_random_seed_value
    if value and value != task.FIX_RANDOM_SEED_VALUE_NONE_MAGIC_NUMBER:
        return int(value)
    return int(task.make_unique_id(), 16) % (2**32 - 1)


def try_set_seed(methods: Iterable[str], seed: int) -> list[str]:
    """Call each of ``methods`` (dotted names: ``"numpy.random.seed"``) with ``seed``; the
    names that were called."""
    called = []
    for name in methods:
        module_name, *attributes = name.split(".")
        try:
            function: Any = importlib.import_module(module_name)
            for attribute in attributes:
                function = getattr(function, attribute)
        except (ImportError, AttributeError):
            continue
        function(seed)
        called.append(name)
    return called


def fix_random_seed(task: TaskOnKart[Any]) -> dict[str, Any]:
    """Seed ``task``'s methods; what its ``random_seed`` log holds. Nothing draws from the
    seeded generators before ``run()``: its first ``random.random()`` is the seed's first.

    (Under gokart, each log file written after the seeding draws once from ``random``: luigi
    names its temporary file by ``random.randrange``. Which of gokart's three START handlers
    run after the seeding depends on the order of a set of functions, which differs between
    processes, so the numbers a gokart task draws are not reproducible from its seed alone.)
    """
    seed = seed_of(task)
    return {"seed": seed, "seed_methods": try_set_seed(task.fix_random_seed_methods, seed)}


#: The modules of the seeding functions gokart calls by default.
_DEFAULT_MODULES = ("random", "numpy.random")
_preloaded = False


def _preload_before_fork() -> None:
    global _preloaded
    if _preloaded:
        return
    _preloaded = True
    for name in _DEFAULT_MODULES:
        # numpy not installed: nothing to seed, nothing to import.
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


os.register_at_fork(before=_preload_before_fork)


__all__ = ["fix_random_seed", "seed_of", "try_set_seed"]
