"""Keys of the luigi config that no task reads: a misspelt ``worksapce_directory`` in
``[TaskOnKart]`` (or in a task class's own section) would be ignored silently, so it warns once
per process, naming the section, the key and the closest key that exists.

A key of ``[TaskOnKart]`` is known when any registered ``TaskOnKart`` class has a parameter of
that name (the section serves every subclass); a key of a class's own section when that class
has one.
"""

from __future__ import annotations

import difflib
import logging
from typing import Any

import luigi
import luigi.configuration

from gokart_core import luigi_internals
from gokart_core.task.kind import KartTask

logger = logging.getLogger("gokart_core")

#: (section, key) already looked at in this process: warned about, or found to be known.
_checked: set[tuple[str, str]] = set()
#: The classes whose sections were looked at: once per class and process, so that making a
#: task costs one set lookup here.
_classes: set[type] = set()


def check_keys(cls: type[luigi.Task], shared_section: str) -> None:
    """Warn about the keys of ``shared_section`` and of ``cls``'s own section that name no
    parameter, the first time a task of ``cls`` is made."""
    if cls in _classes:
        return
    _classes.add(cls)
    config = luigi.configuration.get_config()
    family = cls.get_task_family()
    for section in {shared_section, family}:
        if not config.has_section(section):
            continue
        for key in config.options(section):
            if (section, key) in _checked:
                continue
            _checked.add((section, key))
            name = key.replace("-", "_")
            known = _param_names([cls]) if section == family else _shared_names(cls)
            if name not in known:
                _warn(section, key, known)


def _param_names(classes: list[type[Any]]) -> set[str]:
    return {name for cls in classes for name, _ in cls.get_params()}


def _shared_names(cls: type[luigi.Task]) -> set[str]:
    kart = [c for c in luigi_internals.registered_task_classes() if issubclass(c, KartTask)]
    return _param_names([cls, *kart])


def _warn(section: str, key: str, known: set[str]) -> None:
    close = difflib.get_close_matches(key.replace("-", "_"), sorted(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    logger.warning(
        "the luigi config's [%s] has the key %r, which no task's parameter reads%s",
        section,
        key,
        hint,
    )
