"""``TaskOnKart``: a luigi task whose outputs are cached under a hash of its parameters."""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import sys
import typing
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, overload

import luigi
import luigi.configuration
import luigi.task
from luigi.cmdline_parser import CmdlineParser

from gokart_core import luigi_internals, supplementary_logs, task_definition
from gokart_core.format import Format
from gokart_core.locks.keys import make_lock_key
from gokart_core.locks.run_lock import run_lock_wanted, with_run_lock
from gokart_core.locks.settings import lock_settings
from gokart_core.pandas_type_config import check_dump_types
from gokart_core.parameters import ExplicitBoolParameter
from gokart_core.plugin.manager import Plugins, get_plugins
from gokart_core.target import TargetOnKart, make_target, resolve_format

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)

T = TypeVar("T")
U = TypeVar("U")  # the output type of an upstream task, in load()
TaskT = TypeVar("TaskT", bound="TaskOnKart[Any]")

#: The luigi config section whose values apply to every TaskOnKart subclass.
SHARED_CONFIG_SECTION = "TaskOnKart"


class TaskOnKart(luigi.Task, Generic[T]):
    """Base class of gokart tasks. Subclass it, declare ``requires``/``output``/``run``, and use
    ``self.load()`` and ``self.dump()`` inside ``run``.

    Every parameter here is insignificant: none of them changes a task's unique id.
    """

    workspace_directory: str = luigi.Parameter(
        default="./resources/",
        significant=False,
        description="Where outputs are written: a local folder or any fsspec URL.",
    )
    local_temporary_directory: str = luigi.Parameter(
        default="./resources/tmp/",
        significant=False,
        description="A local folder for temporary files.",
    )
    rerun: bool = luigi.BoolParameter(
        default=False,
        significant=False,
        description="Remove the outputs once and run the task again.",
    )
    strict_check: bool = luigi.BoolParameter(
        default=False,
        significant=False,
        description="Complete only when every required task is complete too.",
    )
    modification_time_check: bool = luigi.BoolParameter(
        default=False,
        significant=False,
        description="Complete only when no input is newer than the oldest output.",
    )
    significant: bool = luigi.BoolParameter(
        default=True,
        significant=False,
        description="Whether this task's unique id enters the unique ids of its dependents.",
    )
    serialized_task_definition_check: bool = luigi.BoolParameter(
        default=False,
        significant=False,
        description="Put a digest of the task class's source code (formatting, comments and "
        "docstrings aside) into the unique id, so that a change of code reruns the task.",
    )
    fail_on_empty_dump: bool = ExplicitBoolParameter(
        default=False, significant=False, description="Refuse to dump an empty DataFrame."
    )
    complete_check_at_run: bool = ExplicitBoolParameter(
        default=True,
        significant=False,
        description="Skip run() when the outputs appeared since scheduling (another worker).",
    )
    should_dump_supplementary_log_files: bool = ExplicitBoolParameter(
        default=True,
        significant=False,
        description="After a successful run(), write its processing time, parameters, module "
        "versions and task_log under {workspace_directory}/log/ (gokart's layout).",
    )
    redis_host: str | None = luigi.OptionalParameter(
        default=None,
        significant=False,
        description="Redis host of the cache-collision lock (needs the gokart-redis plugin).",
    )
    redis_port: int | None = luigi.OptionalIntParameter(
        default=None, significant=False, description="Redis port of the cache-collision lock."
    )
    redis_timeout: int = luigi.IntParameter(
        default=180,
        significant=False,
        description="Lease of a lock in seconds, renewed while held: how long a dead holder "
        "blocks others.",
    )
    redis_fail: bool = luigi.BoolParameter(
        default=False,
        significant=False,
        description="Fail at once when another application holds a lock, instead of waiting.",
    )
    should_lock_run: bool = ExplicitBoolParameter(
        default=False,
        significant=False,
        description="Hold the task's run lock around run(), as @RunWithLock does.",
    )
    storage_options: dict[str, Any] = luigi.DictParameter(
        default={},
        significant=False,
        description="Keyword arguments of the workspace's fsspec filesystem (a JSON object), "
        "merged over a storage plugin's config (e.g. [gokart_s3]).",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._apply_shared_config(kwargs)
        super().__init__(*args, **kwargs)
        self.task_unique_id: str | None = None
        self._targets: dict[Any, TargetOnKart] = {}
        self._in_run_lock = False
        self._rerun_state: bool = self.rerun
        #: Anything run() wants in its log: written to log/task_log/ after a successful run.
        self.task_log: dict[str, Any] = {}
        self._processing_time: float | None = None
        self._run_skipped = False  # run() found the outputs written by another worker
        # luigi calls ``task.run()``; wrapping the bound method on the instance keeps the user's
        # ``run`` untouched on the class. The run lock checks completeness once it holds the
        # lock, which makes a check before it redundant (the scheduler has just found the task
        # incomplete, so a check without the lock would rarely spare a lock round trip).
        run = self.run
        if run_lock_wanted(self):
            run = with_run_lock(self, run)
        elif self.complete_check_at_run:
            run = _skip_if_complete(self, run)
        if run is not self.run:
            self.run = run  # type: ignore[method-assign]

    #: Set on a subclass (``code_version = "2"``) to rename its outputs, and those of every
    #: task that depends on it, whenever its code changes: the string enters the unique id.
    #: ``None`` adds nothing (gokart's ids). See ``gokart_core.task_definition``.
    code_version: ClassVar[str | None] = None

    _gokart_params: ClassVar[tuple[tuple[str, Any], ...]]

    @classmethod
    def get_params(cls) -> list[tuple[str, Any]]:
        """luigi's ``get_params``, computed once per class: luigi scans ``dir(cls)`` on every
        call, several times per instantiation."""
        cached = cls.__dict__.get("_gokart_params")
        if cached is None:
            cached = tuple(super().get_params())
            cls._gokart_params = cached  # read back from this class's own __dict__ only
        return list(cached)

    @classmethod
    def get_param_values(
        cls, params: list[tuple[str, Any]], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> list[tuple[str, Any]]:
        """luigi's parameter resolution, with a fast path for the common case.

        luigi looks every parameter left at its default up on the command line and in the
        config, at every instantiation (cached instances included): most of the cost of making
        a task. When there is no command line and no config section of this task, each of those
        lookups can only end at the default, so the defaults are taken directly; anything else
        goes to luigi unchanged.
        """
        if args or CmdlineParser.get_instance() is not None:
            return list(super().get_param_values(params, args, kwargs))
        if luigi.configuration.get_config().has_section(cls.get_task_family()):
            return list(super().get_param_values(params, args, kwargs))
        if not kwargs.keys() <= {name for name, _ in params}:
            return list(super().get_param_values(params, args, kwargs))  # luigi's error
        values: list[tuple[str, Any]] = []
        for name, param in params:
            if name in kwargs:
                value = param.normalize(kwargs[name])
            elif luigi_internals.has_plain_default(param):
                value = param.normalize(luigi_internals.default_of(param))
            else:  # a required parameter, or one with a deprecated config path: luigi's errors
                return list(super().get_param_values(params, args, kwargs))
            # as luigi does: lists and sets become tuples, so that values hash
            values.append((name, tuple(value) if isinstance(value, (list, set)) else value))
        return values

    @classmethod
    def _apply_shared_config(cls, kwargs: dict[str, Any]) -> None:
        """Fill parameters from the ``[TaskOnKart]`` config section.

        Precedence: explicit arguments and the command line (``--Task-param``), then the task's
        own config section (luigi's usual lookup), then ``[TaskOnKart]``.
        """
        config = luigi.configuration.get_config()
        if not config.has_section(SHARED_CONFIG_SECTION):
            return
        params = dict(cls.get_params())
        own_section = cls.get_task_family()
        own: set[str] = set()
        if own_section != SHARED_CONFIG_SECTION and config.has_section(own_section):
            own = {k.replace("-", "_") for k in config.options(own_section)}
        cmdline = CmdlineParser.get_instance()
        for key in config.options(SHARED_CONFIG_SECTION):
            name = key.replace("-", "_")
            if name not in params or name in kwargs or name in own:
                continue
            if cmdline is not None and luigi_internals.given_on_cmdline(
                cmdline, params[name], name, own_section
            ):
                continue
            kwargs[name] = params[name].parse(config.get(SHARED_CONFIG_SECTION, key))

    # ----------------------------------------------------------------- unique id

    def make_unique_id(self) -> str:
        """The hash that names this task's outputs; computed once per instance.

        gokart's formula: md5 of ``str([ids of significant upstream tasks..., own significant
        parameters, class name])``. An upstream TaskOnKart contributes its own unique id (so a
        change upstream renames everything downstream), or nothing when ``significant=False``;
        a plain luigi task contributes its significant parameters.

        Opt-in, after the class name: a digest of the class's normalized source when
        ``serialized_task_definition_check=True``, and ``{"code_version": ...}`` when the class
        sets ``code_version`` (``gokart_core.task_definition``).
        """
        if self.task_unique_id is None:
            _compute_unique_ids(self)
        assert self.task_unique_id is not None
        return self.task_unique_id

    def _make_hash_id(self, requires: list[Any] | None = None) -> str:
        """The id from ``requires`` (default: ``flatten(self.requires())``); the ids of
        upstream TaskOnKarts are computed first (iteratively) if they are not cached."""
        dependencies: list[Any] = []
        if requires is None:
            requires = luigi.task.flatten(self.requires())
        for task in requires:
            if isinstance(task, TaskOnKart):
                if task.significant:
                    dependencies.append(task.make_unique_id())
            elif isinstance(task, luigi.Task):
                dependencies.append(task.to_str_params(only_significant=True))
            else:
                raise TypeError(
                    f"{type(self).__name__}.requires() returned {type(task).__name__}; "
                    "it must return luigi tasks (alone, in a list or in a dict)"
                )
        dependencies.append(self.to_str_params(only_significant=True))
        dependencies.append(type(self).__name__)
        if self.serialized_task_definition_check or type(self).code_version is not None:
            dependencies.extend(
                task_definition.unique_id_parts(self, self.serialized_task_definition_check)
            )
        return hashlib.md5(str(dependencies).encode()).hexdigest()

    def requires(self) -> Any:
        """By default, gokart's: the tasks given as parameters, as a dict by parameter name (a
        task, or a non-empty tuple of tasks); ``[]`` when there are none."""
        tasks = {k: v for k, v in self.param_kwargs.items() if _is_task_on_kart(v)}
        return tasks or []

    def __repr__(self) -> str:
        """``Family(param=value, ..., task_param=Family_..._hash)``: a task given as a parameter
        shows as its luigi task id, never as its nested parameters (luigi's repr recurses
        through them)."""
        parts = []
        params = dict(self.get_params())
        for name, value in self.param_kwargs.items():
            param = params[name]
            if not param.significant:
                continue
            if isinstance(value, luigi.Task):
                shown = value.task_id
            elif isinstance(value, (list, tuple)) and any(isinstance(v, luigi.Task) for v in value):
                shown = "[" + ", ".join(getattr(v, "task_id", repr(v)) for v in value) + "]"
            else:
                shown = param.serialize(value)
            parts.append(f"{name}={shown}")
        return f"{self.get_task_family()}({', '.join(parts)})"

    # ------------------------------------------------------------------- targets

    def output(self) -> Any:
        """By default one pickle: ``{workspace}/{module path}/{ClassName}_{unique_id}.pkl``."""
        return self.make_target()

    def make_target(
        self,
        relative_file_path: str | None = None,
        use_unique_id: bool = True,
        format: str | Format | None = None,
        *,
        format_options: Mapping[str, Any] | None = None,
    ) -> TargetOnKart:
        """A target at ``{workspace_directory}/{relative_file_path}`` with ``_{unique_id}``
        inserted before the extension (gokart's naming).

        Without a path: ``{module path}/{ClassName}.pkl``. The format follows the extension
        unless ``format`` (a registered name or a Format instance) says otherwise.
        """
        if relative_file_path is None:
            relative_file_path = os.path.join(
                self.__module__.replace(".", "/"), f"{type(self).__name__}.pkl"
            )
        plugins = get_plugins()
        # luigi asks for output() many times per build; a target made once per instance keeps
        # its format, filesystem and lock. Keyed by the plugins too: tests swap them.
        try:
            key: Any = (plugins, relative_file_path, use_unique_id, format, _frozen(format_options))
            cached = self._targets.get(key)
        except TypeError:  # unhashable format options: made anew each time
            key, cached = None, None
        if cached is not None:
            return cached
        target = self._make_target(
            plugins, relative_file_path, use_unique_id, format, format_options
        )
        if key is not None:
            self._targets[key] = target
        return target

    def _make_target(
        self,
        plugins: Plugins,
        relative_file_path: str,
        use_unique_id: bool,
        format: str | Format | None,
        format_options: Mapping[str, Any] | None,
    ) -> TargetOnKart:
        file_path = os.path.join(self.workspace_directory, relative_file_path)
        choice = resolve_format(file_path, format, format_options)
        unique_id = self.make_unique_id() if use_unique_id else None
        lock_key = make_lock_key(file_path, unique_id)
        target = make_target(
            insert_unique_id(file_path, unique_id, choice.suffix),
            format=choice,
            lock=functools.partial(
                plugins.make_target_lock, lock_key, lock_settings(self, run=False)
            ),
            lock_key=lock_key,
            storage_options=self.storage_options,
            declared_type=None if isinstance(format, Format) else declared_output_type(type(self)),
        )
        # Ask for the lock now (it connects to nothing yet): a lock that cannot be had, such as
        # redis settings without gokart-redis, fails at scheduling, not after a long run().
        target.lock()
        return target

    def make_model_target(
        self,
        relative_file_path: str,
        save_function: Callable[[Any, str], Any],
        load_function: Callable[[str], Any],
        use_unique_id: bool = True,
    ) -> TargetOnKart:
        """A ``.zip`` target for objects saved as several files (gensim models and the like).

        ``save_function(obj, path)`` writes into a fresh temporary folder under
        ``local_temporary_directory``, which is zipped to the target; a load extracts the archive
        (safely) into another fresh folder and returns ``load_function(path)``. The format
        ``"model-zip"`` comes from the gokart-zip plugin.
        """
        if not relative_file_path.lower().endswith(".zip"):
            raise ValueError(
                f"{type(self).__name__}.make_model_target({relative_file_path!r}): the path must "
                "end in '.zip' (the saved files are zipped into it)"
            )
        options = {
            "save_function": save_function,
            "load_function": load_function,
            "local_temporary_directory": self.local_temporary_directory,
        }
        return self.make_target(
            relative_file_path, use_unique_id, format="model-zip", format_options=options
        )

    def make_large_data_frame_target(
        self,
        relative_file_path: str | None = None,
        use_unique_id: bool = True,
        max_byte: int = 2**26,
    ) -> TargetOnKart:
        """A ``.zip`` of pickled chunks of a DataFrame, each of at most ``max_byte`` bytes of
        values, that loads back in the original row order. Without a path:
        ``{module path}/{ClassName}.zip``. The format ``"large-data-frame"`` comes from the
        gokart-zip plugin."""
        if relative_file_path is None:
            relative_file_path = os.path.join(
                self.__module__.replace(".", "/"), f"{type(self).__name__}.zip"
            )
        options = {
            "max_byte": max_byte,
            "local_temporary_directory": self.local_temporary_directory,
        }
        return self.make_target(
            relative_file_path, use_unique_id, format="large-data-frame", format_options=options
        )

    # ------------------------------------------------------------- load and dump

    def _input_targets(self, target: Any) -> Any:
        if target is None:
            return self.input()
        if isinstance(target, str):
            inputs = self.input()
            if not isinstance(inputs, dict):
                raise TypeError(
                    f"{type(self).__name__}.load({target!r}): a key needs requires() to return a "
                    f"dict, but it returned {type(self.requires()).__name__}"
                )
            if target not in inputs:
                raise KeyError(
                    f"{type(self).__name__}.load({target!r}): no such key in requires(); "
                    f"keys: {sorted(inputs)}"
                )
            return inputs[target]
        if isinstance(target, TaskOnKart):
            required = {t.make_unique_id() for t in _flatten_on_kart(self.requires())}
            if target.make_unique_id() not in required:
                raise ValueError(
                    f"{type(self).__name__}.load({target}): that task is not in requires()"
                )
            return target.output()
        if isinstance(target, (list, tuple)):
            return [self._input_targets(t) for t in target]
        return target

    # Typed as gokart's: the output type declared by an upstream ``TaskOnKart[U]`` comes back
    # from ``load(task)``; anything addressed by key or target is Any.
    @overload
    def load(self, target: str | TargetOnKart | None = None) -> Any: ...
    @overload
    def load(self, target: TaskOnKart[U]) -> U: ...
    @overload
    def load(self, target: Sequence[TaskOnKart[U]]) -> list[U]: ...
    def load(self, target: Any = None) -> Any:
        """Load the inputs, in the shape of ``self.input()``: one target gives one object, a
        list a list, a dict a dict. ``load('key')`` loads one entry of a dict ``requires()``;
        ``load(task)`` loads that required task's output, ``load([task, ...])`` a list of them
        (each must be in ``requires()``)."""
        return load_shaped(self._input_targets(target))

    @overload
    def load_generator(
        self, target: str | TargetOnKart | None = None
    ) -> Generator[Any, None, None]: ...
    @overload
    def load_generator(self, target: Sequence[TaskOnKart[U]]) -> Generator[U, None, None]: ...
    def load_generator(self, target: Any = None) -> Generator[Any, None, None]:
        """Yield the loaded inputs one by one (lists and dicts flattened, dict values in order)."""
        for t in luigi.task.flatten(self._input_targets(target)):
            yield t.load()

    def load_data_frame(
        self,
        target: Any = None,
        required_columns: Iterable[str] | None = None,
        drop_columns: bool = False,
    ) -> pd.DataFrame:
        """Load the inputs as one DataFrame (a list of frames is concatenated) and check that
        ``required_columns`` are present; ``drop_columns=True`` keeps only those."""
        import pandas as pd

        data = self.load(target)
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
                f"{type(self).__name__}.load_data_frame: missing required columns {missing}; "
                f"the data has columns {list(frame.columns)}"
            )
        if drop_columns:
            frame = frame[required]
        return frame

    def _output_target(self, target: Any) -> Any:
        if target is None:
            return self.output()
        if isinstance(target, str):
            outputs = self.output()
            if not isinstance(outputs, dict) or target not in outputs:
                keys = sorted(outputs) if isinstance(outputs, dict) else []
                raise KeyError(
                    f"{type(self).__name__}.dump(obj, {target!r}): output() has no such key; "
                    f"keys: {keys}"
                )
            return outputs[target]
        return target

    # ``TaskOnKart[T]`` says what the output is: mypy rejects dumping anything else to it. A
    # keyed dump (one entry of a dict output) is Any, as in gokart.
    @overload
    def dump(self, obj: T, target: None = None) -> None: ...
    @overload
    def dump(self, obj: Any, target: str | TargetOnKart) -> None: ...
    def dump(self, obj: Any, target: Any = None) -> None:
        """Write ``obj`` to the output (or to ``output()[target]`` for a dict output).

        A DataFrame is checked against the ``PandasTypeConfig`` of the task's namespace."""
        check_dump_types(self, obj)
        if self.fail_on_empty_dump and _is_empty_frame(obj):
            raise ValueError(
                f"{type(self).__name__}: refusing to dump an empty DataFrame "
                "(fail_on_empty_dump=True)"
            )
        output = self._output_target(target)
        if not isinstance(output, TargetOnKart):
            raise TypeError(
                f"{type(self).__name__}.dump: the target is {type(output).__name__}, not a single "
                "TargetOnKart; pass the key of a dict output()"
            )
        # Another application may have finished this output meanwhile: keep theirs. Inside the
        # task's own run lock that was checked when the lock was taken, and the run lock keeps
        # every other locked run out: one lock operation per task instead of two.
        output.dump(obj, overwrite=False, lock=not self._in_run_lock)

    # ---------------------------------------------------------- supplementary logs

    @classmethod
    def restore(cls: type[TaskT], unique_id: str) -> TaskT:
        """The task whose unique id is ``unique_id``, from the parameters its run logged when it
        started (``log/task_params/``; a failed run has them too) in the workspace configured
        for the class. A TargetNotFoundError names the path when there is no such log.

        A task parameter nested more than ``GOKART_COMPATIBLE_NESTING`` (200) levels deep is
        logged in digest form (see ``gokart_core.parameters``), which cannot be parsed back:
        restoring a task that holds one raises ValueError."""
        return supplementary_logs.restore(cls, unique_id)

    def get_task_log(self) -> dict[str, Any]:
        """``self.task_log`` if anything is in it, else the logged one, else ``{}``."""
        if self.task_log:
            return self.task_log
        target = supplementary_logs.log_target(self, "task_log")
        if target is not None and target.exists():
            return dict(target.load())
        return {}

    def get_task_params(self) -> dict[str, str]:
        """The logged significant parameters of this task's run, or ``{}``."""
        target = supplementary_logs.log_target(self, "task_params")
        if target is not None and target.exists():
            return dict(target.load())
        return {}

    def get_processing_time(self) -> float | str:
        """Seconds the logged run took, or ``"unknown"``."""
        target = supplementary_logs.log_target(self, "processing_time")
        if target is not None and target.exists():
            return float(target.load())
        return "unknown"

    # ------------------------------------------------------------------ complete

    def complete(self) -> bool:
        try:
            return self._complete()
        except Exception as exc:
            # luigi reports a failing complete() as a logged traceback only; the event lets
            # gokart_core.build hand the exception itself (UnknownFormatError, ...) to the caller.
            self.trigger_event(luigi.Event.BROKEN_TASK, self, exc)
            raise

    def _complete(self) -> bool:
        if self._rerun_state:
            for target in luigi.task.flatten(self.output()):
                target.remove()
            self._rerun_state = False
            return False
        outputs = luigi.task.flatten(self.output())
        if not all(t.exists() for t in outputs):
            return False
        if not (self.strict_check or self.modification_time_check):
            return True
        if not all(task.complete() for task in luigi.task.flatten(self.requires())):
            return False
        inputs = luigi.task.flatten(self.input())
        if not all(t.exists() for t in inputs):
            return False
        if not self.modification_time_check or not inputs:
            return True
        return _inputs_not_newer(inputs, outputs)


@functools.cache
def declared_output_type(cls: type) -> Any:
    """``T`` of the nearest ``TaskOnKart[T]`` base of ``cls``, or None (undeclared or a TypeVar)."""
    for klass in cls.__mro__:
        for base in getattr(klass, "__orig_bases__", ()):
            if typing.get_origin(base) is TaskOnKart:
                (arg,) = typing.get_args(base)
                return None if isinstance(arg, TypeVar) or arg is Any else arg
    return None


def _frozen(options: Mapping[str, Any] | None) -> Any:
    return None if options is None else tuple(sorted(options.items()))


def _inputs_not_newer(inputs: list[Any], outputs: list[Any]) -> bool:
    # A task may use an input as its output too: such paths do not count on either side.
    shared = {t.path() for t in inputs} & {t.path() for t in outputs}
    ins = [t for t in inputs if t.path() not in shared]
    outs = [t for t in outputs if t.path() not in shared]
    if not ins or not outs:
        return True
    newest_input = max(t.last_modification_time() for t in ins)
    oldest_output = min(t.last_modification_time() for t in outs)
    return bool(newest_input <= oldest_output)


def _skip_if_complete(task: TaskOnKart[Any], run: Callable[[], Any]) -> Callable[[], Any]:
    @functools.wraps(run)
    def wrapper() -> Any:
        # luigi reuses a task instance for the same parameters: each run decides anew.
        task._run_skipped = task.complete()
        if task._run_skipped:
            logger.info("%s is already complete; skipping run()", task)
            return None
        return run()

    return wrapper


def _is_task_on_kart(value: Any) -> bool:
    """gokart's test of what its default ``requires()`` takes: a TaskOnKart or a non-empty
    tuple of them (a list is not taken, as in gokart: the unique ids stay gokart's)."""
    if isinstance(value, TaskOnKart):
        return True
    return (
        isinstance(value, tuple) and bool(value) and all(isinstance(v, TaskOnKart) for v in value)
    )


def _compute_unique_ids(task: TaskOnKart[Any]) -> None:
    """Compute and cache the unique ids of ``task`` and of every upstream TaskOnKart without an
    id yet, innermost first, with an explicit stack: no recursion whatever the depth, and each
    ``requires()`` is called once."""
    requires: dict[int, list[Any]] = {}
    stack: list[TaskOnKart[Any]] = [task]
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
                if isinstance(t, TaskOnKart) and t.significant and t.task_unique_id is None
            ]
            if pending:
                stack.extend(reversed(pending))
                continue
        stack.pop()
        current.task_unique_id = current._make_hash_id(requires[key])


def _flatten_on_kart(struct: Any) -> list[TaskOnKart[Any]]:
    return [t for t in luigi.task.flatten(struct) if isinstance(t, TaskOnKart)]


def load_shaped(targets: Any) -> Any:
    if isinstance(targets, (list, tuple)):
        return [load_shaped(t) for t in targets]
    if isinstance(targets, dict):
        return {k: load_shaped(t) for k, t in targets.items()}
    return targets.load()


def _concat_frames(data: Any, pd: Any) -> Any:
    if isinstance(data, list):
        frames = [_concat_frames(d, pd) for d in data]
        return pd.concat(frames) if frames else pd.DataFrame()
    if isinstance(data, pd.Series):
        return data.to_frame()
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"load_data_frame: the input is {type(data).__name__}, not a DataFrame")
    return data


def _is_empty_frame(obj: Any) -> bool:
    # Without importing pandas: a DataFrame exists only if pandas was imported already.
    pd = sys.modules.get("pandas")
    return pd is not None and isinstance(obj, pd.DataFrame) and bool(obj.empty)


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


def _on_start(task: TaskOnKart[Any]) -> None:
    get_plugins().before_run(task)


def _on_success(task: TaskOnKart[Any]) -> None:
    get_plugins().after_run(task)


def _on_failure(task: TaskOnKart[Any], exception: BaseException) -> None:
    get_plugins().on_failure(task, exception)


def _on_processing_time(task: TaskOnKart[Any], seconds: float) -> None:
    task._processing_time = seconds


# luigi's events become the lifecycle hooks, for every subclass (luigi sends PROCESSING_TIME
# before SUCCESS). This registers callbacks in luigi's table only; the plugin manager is still
# built on first use.
TaskOnKart.event_handler(luigi.Event.START)(_on_start)
TaskOnKart.event_handler(luigi.Event.SUCCESS)(_on_success)
TaskOnKart.event_handler(luigi.Event.FAILURE)(_on_failure)
TaskOnKart.event_handler(luigi.Event.PROCESSING_TIME)(_on_processing_time)
