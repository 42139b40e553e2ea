"""gokart's in-memory targets (``gokart.in_memory``): outputs kept as objects in this process.

A thin adapter for code written against gokart's experimental ``make_in_memory_target``. The
object itself is kept (nothing is serialized, nothing copied), so it lives only as long as the
process and only in it: a task process that luigi forks (``workers>1``) cannot dump to one
(:class:`~gokart_core.errors.ProcessLocalStorageError`), as with a ``memory://`` workspace. For an
in-memory workspace that behaves like every other filesystem, use ``memory://``.
"""

from gokart_core.in_memory.repository import InMemoryCacheRepository, InMemoryData
from gokart_core.in_memory.target import InMemoryTarget, make_in_memory_target

__all__ = ["InMemoryCacheRepository", "InMemoryData", "InMemoryTarget", "make_in_memory_target"]
