"""The mark of a gokart task, for the modules that ``TaskOnKart`` is made of: they test
``isinstance(t, KartTask)`` and so need not import ``TaskOnKart``, which imports them."""

from __future__ import annotations


class KartTask:
    """A base of ``TaskOnKart`` and of nothing else."""

    __slots__ = ()
