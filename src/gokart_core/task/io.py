"""Load and dump in the shapes of ``input()`` and ``output()``: one object, a list, a dict."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import luigi.task

from gokart_core.errors import EmptyDumpError
from gokart_core.in_memory import InMemoryTarget
from gokart_core.target import storage
from gokart_core.target.target import TargetOnKart
from gokart_core.task import labels
from gokart_core.task.kind import KartTask
from gokart_core.task.pandas_type_config import check_dump_types

if TYPE_CHECKING:
    import pandas as pd

    from gokart_core.task.task import TaskOnKart


def input_targets(task: TaskOnKart[Any], target: Any) -> Any:
    """What ``task.load(target)`` reads: all inputs, one key of a dict ``requires()``, the
    output of a required task, or a list of those."""
    if target is None:
        return task.input()
    if isinstance(target, str):
        inputs = task.input()
        if not isinstance(inputs, dict):
            raise TypeError(
                f"{type(task).__name__}.load({target!r}): a key needs requires() to return a "
                f"dict, but it returned {type(task.requires()).__name__}"
            )
        if target not in inputs:
            raise KeyError(
                f"{type(task).__name__}.load({target!r}): no such key in requires(); "
                f"keys: {sorted(inputs)}"
            )
        return inputs[target]
    if isinstance(target, KartTask):
        required = {
            t.make_unique_id()  # type: ignore[attr-defined]
            for t in luigi.task.flatten(task.requires())
            if isinstance(t, KartTask)
        }
        if target.make_unique_id() not in required:  # type: ignore[attr-defined]
            raise ValueError(
                f"{type(task).__name__}.load({target}): that task is not in requires()"
            )
        return target.output()  # type: ignore[attr-defined]
    if isinstance(target, (list, tuple)):
        return [input_targets(task, t) for t in target]
    return target


def load_shaped(targets: Any) -> Any:
    if isinstance(targets, (list, tuple)):
        return [load_shaped(t) for t in targets]
    if isinstance(targets, dict):
        return {k: load_shaped(t) for k, t in targets.items()}
    return targets.load()


def load_data_frame(
    task: TaskOnKart[Any], target: Any, required_columns: Iterable[str] | None, drop_columns: bool
) -> pd.DataFrame:
    import pandas as pd  # only for the tasks that load frames: pandas is optional

    data = task.load(target)
    if isinstance(data, dict) and len(data) == 1:
        data = next(iter(data.values()))
    frame: pd.DataFrame = _concat_frames(data, pd)
    required = list(dict.fromkeys(required_columns or ()))
    missing = [c for c in required if c not in frame.columns]
    if missing and frame.empty and len(frame.index) == 0:
        frame = pd.DataFrame(columns=required)
        return frame
    if missing:
        raise ValueError(
            f"{type(task).__name__}.load_data_frame: missing required columns {missing}; "
            f"the data has columns {list(frame.columns)}"
        )
    if drop_columns:
        frame = frame[required]
    return frame


def _concat_frames(data: Any, pd: Any) -> Any:
    if isinstance(data, list):
        frames = [_concat_frames(d, pd) for d in data]
        return pd.concat(frames) if frames else pd.DataFrame()
    if isinstance(data, pd.Series):
        return data.to_frame()
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"load_data_frame: the input is {type(data).__name__}, not a DataFrame")
    return data


def dump(
    task: TaskOnKart[Any], obj: Any, target: Any, custom_labels: Mapping[Any, Any] | None = None
) -> None:
    """``task.dump``: checks, then the atomic write to the output (or one key of it), labelled
    (:mod:`gokart_core.task.labels`) where the store keeps labels."""
    check_dump_types(task, obj)
    if task.fail_on_empty_dump and _is_empty_frame(obj):
        raise EmptyDumpError(
            f"{type(task).__name__}: refusing to dump an empty DataFrame (fail_on_empty_dump=True)"
        )
    output = _output_target(task, target)
    if isinstance(output, InMemoryTarget):  # gokart's: the object itself, kept in this process
        output.dump(obj)
        return
    if not isinstance(output, TargetOnKart):
        raise TypeError(
            f"{type(task).__name__}.dump: the target is {type(output).__name__}, not a single "
            "TargetOnKart; pass the key of a dict output()"
        )
    # Another application may have finished this output meanwhile: keep theirs. Inside the
    # task's own run lock that was checked when the lock was taken, and the run lock keeps
    # every other locked run out: one lock operation per task instead of two.
    # Labels only off local disk and memory (the only stores core knows keep none).
    plain = storage.is_local(output.fs) or storage.is_process_local(output.fs)
    metadata = None if plain else labels.LazyLabels(task, custom_labels)
    output.dump(obj, overwrite=False, lock=not task._in_run_lock, metadata=metadata)


def _output_target(task: TaskOnKart[Any], target: Any) -> Any:
    if target is None:
        return task.output()
    if isinstance(target, str):
        outputs = task.output()
        if not isinstance(outputs, dict) or target not in outputs:
            keys = sorted(outputs) if isinstance(outputs, dict) else []
            raise KeyError(
                f"{type(task).__name__}.dump(obj, {target!r}): output() has no such key; "
                f"keys: {keys}"
            )
        return outputs[target]
    return target


def _is_empty_frame(obj: Any) -> bool:
    # Without importing pandas: a DataFrame exists only if pandas was imported already.
    pd = sys.modules.get("pandas")
    return pd is not None and isinstance(obj, pd.DataFrame) and bool(obj.empty)
