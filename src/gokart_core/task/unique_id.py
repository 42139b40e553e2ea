"""Unique ids: the hash that names a task's outputs, and where it goes in a file name."""

from __future__ import annotations

import hashlib
import os
from typing import TYPE_CHECKING, Any

import luigi
import luigi.task

from gokart_core.task import definition
from gokart_core.task.kind import KartTask

if TYPE_CHECKING:
    from gokart_core.task.task import TaskOnKart


def hash_id(task: TaskOnKart[Any], requires: list[Any] | None = None) -> str:
    """gokart's formula: md5 of ``str([ids of significant upstream tasks..., own significant
    parameters, class name])``, from ``requires`` (default: ``flatten(task.requires())``).

    An upstream TaskOnKart contributes its own unique id (computed first if it has none yet), or
    nothing when ``significant=False``; a plain luigi task contributes its significant
    parameters. Opt-in, after the class name: a digest of the class's normalized source when
    ``serialized_task_definition_check=True``, and ``{"code_version": ...}`` when the class sets
    ``code_version`` (:mod:`gokart_core.task.definition`).
    """
    dependencies: list[Any] = []
    if requires is None:
        requires = luigi.task.flatten(task.requires())
    for upstream in requires:
        if isinstance(upstream, KartTask):
            if upstream.significant:  # type: ignore[attr-defined]
                dependencies.append(upstream.make_unique_id())  # type: ignore[attr-defined]
        elif isinstance(upstream, luigi.Task):
            dependencies.append(upstream.to_str_params(only_significant=True))
        else:
            raise TypeError(
                f"{type(task).__name__}.requires() returned {type(upstream).__name__}; "
                "it must return luigi tasks (alone, in a list or in a dict)"
            )
    dependencies.append(task.to_str_params(only_significant=True))
    dependencies.append(type(task).__name__)
    if task.serialized_task_definition_check or type(task).code_version is not None:
        dependencies.extend(definition.unique_id_parts(task, task.serialized_task_definition_check))
    return hashlib.md5(str(dependencies).encode()).hexdigest()


def compute_unique_ids(task: TaskOnKart[Any]) -> None:
    """Compute and cache the unique ids of ``task`` and of every upstream TaskOnKart without an
    id yet, innermost first, with an explicit stack: no recursion whatever the depth, and each
    ``requires()`` is called once."""
    requires: dict[int, list[Any]] = {}
    stack: list[Any] = [task]
    while stack:
        current = stack[-1]
        key = id(current)
        if current.task_unique_id is not None:
            stack.pop()
            continue
        if key not in requires:
            requires[key] = luigi.task.flatten(current.requires())
            pending = [
                t
                for t in requires[key]
                if isinstance(t, KartTask)
                and t.significant  # type: ignore[attr-defined]
                and t.task_unique_id is None  # type: ignore[attr-defined]
            ]
            if pending:
                stack.extend(reversed(pending))
                continue
        stack.pop()
        current.task_unique_id = current._make_hash_id(requires[key])


def insert_unique_id(file_path: str, unique_id: str | None, suffix: str | None = None) -> str:
    """``dir/name.ext`` -> ``dir/name_{unique_id}.ext`` (gokart's naming).

    ``suffix`` is the suffix the format was matched by: ``x.csv.gz`` becomes
    ``x_{unique_id}.csv.gz``, so that the name still says csv-in-gzip. Without a suffix, or for
    a one-part one, this is gokart's ``os.path.splitext`` rule.
    """
    if unique_id is None:
        return file_path
    if suffix and file_path.lower().endswith(suffix):
        base, ext = file_path[: len(file_path) - len(suffix)], file_path[-len(suffix) :]
    else:
        base, ext = os.path.splitext(file_path)
    return f"{base}_{unique_id}{ext}"
