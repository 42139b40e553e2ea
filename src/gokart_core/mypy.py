"""gokart's mypy plugin path: ``plugins = gokart_core.mypy`` in a mypy config (gokart's docs:
``plugins = gokart.mypy``).

It is luigi's own plugin (``luigi.mypy``), which types the constructor of every luigi task,
``TaskOnKart`` subclasses included, from their parameters: ``MyTask(n="x")`` for an
``n: int = luigi.IntParameter()`` is an error, as a missing required parameter is. This project
type-checks itself with it (``pyproject.toml``), ``tests/typing_rejected.py`` being the uses it
must reject.
"""

from luigi.mypy import plugin

__all__ = ["plugin"]
