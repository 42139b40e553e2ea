"""Markers for hook specifications and implementations.

A plugin imports ``hookimpl`` (also exported as ``gokart_core.hookimpl``) and decorates functions
named after the hooks in :mod:`gokart_core.plugin.spec`.
"""

from __future__ import annotations

import pluggy

#: The pluggy project name and the entry point group plugins register under.
NAME = "gokart_core"

hookspec = pluggy.HookspecMarker(NAME)
hookimpl = pluggy.HookimplMarker(NAME)

__all__ = ["NAME", "hookimpl", "hookspec"]
