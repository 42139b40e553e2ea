"""gokart's fixed random seeds: before a task runs, every function named in
``fix_random_seed_methods`` (``random.seed`` and ``numpy.random.seed`` by default) is called with
the task's seed, so that a rerun of the same parameters draws the same numbers.

The seed is ``fix_random_seed_value`` when set, else ``int(unique_id, 16) % (2**32 - 1)`` (the
largest seed numpy takes), as in gokart; the functions that could be called and the seed are
logged to ``log/random_seed/{ClassName}_{unique_id}.pkl`` as
``{"seed": seed, "seed_methods": [names]}``. A name that does not import, or has no such
attribute, is left out of the log, as gokart leaves it: numpy need not be installed.

Like gokart, this happens only with ``should_dump_supplementary_log_files`` (the default).

numpy is not imported to be seeded (its import costs ~0.1 s, in every process and forked
child): while it is not imported yet, ``numpy.random.seed`` is called the moment something
imports numpy (a finder at the front of ``sys.meta_path`` until then), with the seed of the
task that set it last. Nothing can draw from numpy's generator before it is imported, so
the numbers drawn are those of an eager seeding, and the log names the method as gokart's
does when numpy is installed.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.abc
import importlib.util
import sys
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
        if name == _NUMPY_SEED and _defer_numpy_seed(seed):
            called.append(name)
            continue
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


_NUMPY_SEED = "numpy.random.seed"
#: The seed that numpy gets when it is imported; None: nothing waits.
_numpy_seed: int | None = None


def _defer_numpy_seed(seed: int) -> bool:
    """Seed numpy once it is imported; False when it is imported already (seed it now) or not
    installed (left out, as gokart leaves what does not import)."""
    global _numpy_seed
    if "numpy" in sys.modules or not _numpy_installed():
        return False
    _numpy_seed = seed
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
    return True


@functools.cache
def _numpy_installed() -> bool:
    # Looked up once per process: a search of sys.path at every task's start would cost more
    # than the import it spares, over a few thousand tasks.
    return importlib.util.find_spec("numpy") is not None


class _SeedNumpyOnImport(importlib.abc.MetaPathFinder):
    """Finds numpy with the finders after it, and makes its loader seed it once loaded."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != "numpy":
            return None
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(self)  # one import: after it, numpy is in sys.modules
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            spec = find(fullname, path, target) if find is not None else None
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _SeedingLoader(spec.loader)
                return spec
        return None


class _SeedingLoader(importlib.abc.Loader):
    def __init__(self, loader: Any) -> None:
        self.loader = loader

    def create_module(self, spec: Any) -> Any:
        return self.loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        self.loader.exec_module(module)
        global _numpy_seed
        seed, _numpy_seed = _numpy_seed, None
        if seed is not None:
            module.random.seed(seed)


_FINDER = _SeedNumpyOnImport()


__all__ = ["fix_random_seed", "seed_of", "try_set_seed"]
