"""The labels of a dumped object, gokart's (``self.dump(obj, custom_labels={...})``, gokart 1.10):
set as the object's metadata by storage plugins whose store keeps them (gokart-gcs, gokart-s3),
ignored elsewhere (a local workspace, ``memory://``), as gokart ignores them off GCS.

Every ``task.dump`` on such a store labels the object as gokart does:

1. the ``custom_labels``, keys and values converted with ``str()`` (gokart's rule: ``{"n": 3}``
   is the label ``n: "3"``);
2. the task's significant public parameters (``to_str_params(only_significant=True,
   only_public=True)``);
3. ``__required_task_outputs``: a JSON list (or dict) of the required tasks' outputs,
   ``{"__gokart_task_name": family, "__gokart_output_path": path}`` each, shaped as
   ``requires()``.

A key seen earlier keeps its value (custom labels win over parameters), an empty value is left
out, and the store drops labels from the end until they fit its size limit
(:func:`~gokart_core.target.object_store.fit_metadata`).

The labels are computed only when a store reads them (:class:`LazyLabels`): a third-party store
that keeps no metadata costs nothing. A required output without a path (a luigi target of
another kind) is labelled by its family alone; labels that cannot be computed at all (a
``requires()`` that raises there) are a warning and the object goes without them: labels never
fail a dump.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gokart_core.task import TaskOnKart

logger = logging.getLogger(__name__)

#: The label gokart gives the outputs of the required tasks.
REQUIRED_OUTPUTS_LABEL = "__required_task_outputs"


def _required_outputs(requires: Any) -> Any:
    """gokart's shape of the required outputs: ``requires()`` with each task's ``output()`` in
    place of the task, each target as its task's family and its path."""

    def outputs(task: Any, items: Any) -> Any:
        if isinstance(items, Mapping):
            return {k: outputs(task, v) for k, v in items.items()}
        if isinstance(items, (list, tuple)):
            return [outputs(task, v) for v in items]
        label = {"__gokart_task_name": task.get_task_family()}
        path = getattr(items, "path", None)  # TargetOnKart's is a method, luigi's a string
        path = path() if callable(path) else path
        if path is not None:
            label["__gokart_output_path"] = str(path)
        return label

    def tasks(items: Any) -> Any:
        if isinstance(items, Mapping):
            return {k: tasks(v) for k, v in items.items()}
        if isinstance(items, (list, tuple)):
            return [tasks(v) for v in items]
        return outputs(items, items.output())

    return tasks(requires)


def dump_labels(task: TaskOnKart[Any], custom_labels: Mapping[Any, Any] | None) -> dict[str, str]:
    """The labels of an object that ``task`` dumps, in gokart's order and merge rule."""
    sources: list[Mapping[str, str]] = [
        {str(k): str(v) for k, v in (custom_labels or {}).items()},
        task.to_str_params(only_significant=True, only_public=True),
    ]
    required = _required_outputs(task.requires())
    if required:
        sources.append({REQUIRED_OUTPUTS_LABEL: json.dumps(required)})
    labels: dict[str, str] = {}
    for source in sources:
        for key, value in source.items():
            if value == "":
                logger.debug("label %s of %s is empty: left out", key, task)
            elif key not in labels:
                labels[key] = value
    return labels


class LazyLabels(Mapping[str, str]):
    """:func:`dump_labels` of a task, computed on first use (by a store that keeps metadata);
    when that raises, a warning and no labels."""

    def __init__(self, task: TaskOnKart[Any], custom_labels: Mapping[Any, Any] | None) -> None:
        self._task = task
        self._custom_labels = custom_labels
        self._labels: dict[str, str] | None = None

    def _computed(self) -> dict[str, str]:
        if self._labels is None:
            try:
                self._labels = dump_labels(self._task, self._custom_labels)
            except Exception as exc:
                logger.warning(
                    "%s: its output goes without labels: computing them raised %s: %s",
                    type(self._task).__name__,
                    type(exc).__name__,
                    exc,
                )
                self._labels = {}
        return self._labels

    def __getitem__(self, key: str) -> str:
        return self._computed()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._computed())

    def __len__(self) -> int:
        return len(self._computed())
