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
import random
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


#: What gokart's write of the seed log draws from ``random`` after seeding it: luigi names the
#: temporary file of every write ``-luigi-tmp-%09d`` from ``random.randrange(0, 10**10)``.
_GOKART_DRAWS_AFTER_SEEDING = 1


def fix_random_seed(task: TaskOnKart[Any]) -> dict[str, Any]:
    """Seed ``task``'s methods; what its ``random_seed`` log holds.

    ``random`` is then advanced as gokart's own seed-log write advances it, so that ``run()``
    draws the very numbers it draws under gokart (checked against gokart 1.12.2 in the tests).
    """
    seed = seed_of(task)
    called = try_set_seed(task.fix_random_seed_methods, seed)
    for _ in range(_GOKART_DRAWS_AFTER_SEEDING):
        random.randrange(0, 10_000_000_000)
    return {"seed": seed, "seed_methods": called}


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
