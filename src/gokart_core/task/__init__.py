"""Tasks: ``TaskOnKart`` and what it is made of (its options, parameter lookup, unique ids,
targets, load and dump, completeness, logs), with the parameter types gokart tasks use."""

from gokart_core.task import events  # noqa: F401 - registers the lifecycle hooks
from gokart_core.task.task import TaskOnKart

__all__ = ["TaskOnKart"]
