"""Targets: one output file (``TargetOnKart``), its format (``Format``, the registry), and the
storage under it (atomic writes on any fsspec filesystem, the existence cache).

``gokart_core.target.make_target`` / ``make_model_target`` are gokart's (by file path, unique id
and processor: :mod:`.gokart_target`), loaded on first use.
"""

from __future__ import annotations

import importlib
from typing import Any


def __getattr__(name: str) -> Any:
    if name in ("make_target", "make_model_target"):
        value = getattr(importlib.import_module(f"{__name__}.gokart_target"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
