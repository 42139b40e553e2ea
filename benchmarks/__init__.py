"""Benchmarks of gokart-core against raw pandas, bare luigi and the PyPI ``gokart`` package.

``python -m benchmarks`` (or ``nox -s bench``) runs every scenario in a fresh process of the
right interpreter, several times, and writes the medians to ``benchmarks/results.md``.
gokart runs in its own virtualenv, so gokart and gokart-core never share a process.
See ``python -m benchmarks --help``.
"""
