"""``TaskOnKart``: a luigi task whose outputs are cached under a hash of its parameters.

The class is a facade: each method delegates to the module of its concern in this package.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, overload

import luigi
import luigi.task

from gokart_core.locks.run_lock import run_lock_wanted, with_run_lock
from gokart_core.target.format import Format
from gokart_core.target.target import TargetOnKart
from gokart_core.task import complete, io, logs, lookup, targets, unique_id
from gokart_core.task.basic_parameters import ExplicitBoolParameter, ServerParameter
from gokart_core.task.gokart_options import GokartOptions
from gokart_core.task.kind import PARAMS_CACHE, KartRegister, KartTask

if TYPE_CHECKING:
    import pandas as pd

T = TypeVar("T")
U = TypeVar("U")  # the output type of an upstream task, in load()
TaskT = TypeVar("TaskT", bound="TaskOnKart[Any]")
#: ``dump``'s ``custom_labels``: gokart's labels of the dumped object (any keys and values).
Labels = dict[Any, Any] | None


class TaskOnKart(luigi.Task, KartTask, GokartOptions, Generic[T], metaclass=KartRegister):
    """Base class of gokart tasks. Subclass it, declare ``requires``/``output``/``run``, and use
    ``self.load()`` and ``self.dump()`` inside ``run``.

    No parameter here (or in :class:`GokartOptions`) is significant: none changes unique ids.
    """

    workspace_directory: str = luigi.Parameter(
        default="./resources/", significant=False, description="A local folder or fsspec URL."
    )
    local_temporary_directory: str = luigi.Parameter(
        default="./resources/tmp/", significant=False, description="Local temporary files."
    )
    rerun: bool = luigi.BoolParameter(
        default=False, significant=False, description="Remove the outputs once and run again."
    )
    strict_check: bool = luigi.BoolParameter(
        default=False, significant=False, description="Complete only if the requires are too."
    )
    modification_time_check: bool = luigi.BoolParameter(
        default=False, significant=False, description="Incomplete if an input is newer."
    )
    significant: bool = luigi.BoolParameter(
        default=True, significant=False, description="Whether the unique id enters dependents'."
    )
    serialized_task_definition_check: bool = luigi.BoolParameter(
        default=False, significant=False, description="Put a digest of the code in the id."
    )
    fail_on_empty_dump: bool = ExplicitBoolParameter(
        default=False, significant=False, description="Refuse to dump an empty DataFrame."
    )
    complete_check_at_run: bool = ExplicitBoolParameter(
        default=True, significant=False, description="Skip run() if another worker finished."
    )
    should_dump_supplementary_log_files: bool = ExplicitBoolParameter(
        default=True, significant=False, description="Write the run logs under log/."
    )
    redis_host: str | None = ServerParameter(
        default=None, significant=False, description="Lock server host or URL (gokart-redis)."
    )
    redis_port: int | None = luigi.OptionalIntParameter(
        default=None, significant=False, description="Lock server port."
    )
    redis_timeout: int = luigi.IntParameter(
        default=180, significant=False, description="Lock lease in seconds, renewed while held."
    )
    redis_fail: bool = luigi.BoolParameter(
        default=False, significant=False, description="Fail at once on a lock held elsewhere."
    )
    should_lock_run: bool = ExplicitBoolParameter(
        default=False, significant=False, description="Hold the run lock, as @RunWithLock does."
    )
    storage_options: dict[str, Any] = luigi.DictParameter(
        default={}, significant=False, description="fsspec options of the workspace (JSON)."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        lookup.apply_shared_config(type(self), kwargs)
        super().__init__(*args, **kwargs)
        self.task_unique_id: str | None = None
        self._targets: dict[Any, TargetOnKart] = {}
        self._in_run_lock = False
        self._rerun_state: bool = self.rerun
        #: Anything run() wants in its log: written to log/task_log/ after a successful run.
        self.task_log: dict[str, Any] = {}
        self._processing_time: float | None = None
        self._run_skipped = False  # run() found the outputs written by another worker
        # The user's ``run`` stays untouched on the class; the run lock checks completeness
        # once it holds the lock (a check before it would rarely spare a lock round trip).
        run = self.run
        if run_lock_wanted(self):
            run = with_run_lock(self, run)
        elif self.complete_check_at_run:
            run = complete.skip_if_complete(self, run)
        if run is not self.run:
            self.run = run  # type: ignore[method-assign]

    #: Set on a subclass (``code_version = "2"``) to rename its outputs, and those of every
    #: task that depends on it, whenever its code changes: the string enters the unique id.
    #: ``None`` adds nothing (gokart's ids). See ``gokart_core.task.definition``.
    code_version: ClassVar[str | None] = None
    #: True lets ``make_target`` paths leave ``workspace_directory`` (else an error).
    allow_outside_workspace: ClassVar[bool] = False

    _gokart_params: ClassVar[tuple[tuple[str, Any], ...]]

    @classmethod
    def get_params(cls) -> list[tuple[str, Any]]:
        """luigi's ``get_params``, computed once per class: luigi scans ``dir(cls)`` on every
        call, several times per instantiation."""
        cached = cls.__dict__.get(PARAMS_CACHE)
        if cached is None:
            cached = tuple(super().get_params())
            setattr(cls, PARAMS_CACHE, cached)  # read back from this class's own __dict__ only
        return list(cached)

    @classmethod
    def get_param_values(
        cls,
        params: list[tuple[str, Any]],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> list[tuple[str, Any]]:
        """luigi's parameter resolution, with a fast path (see :mod:`gokart_core.task.lookup`)."""
        values = None if args else lookup.fast_param_values(cls, params, kwargs)
        if values is None:
            return list(super().get_param_values(params, args, kwargs))
        return values

    def make_unique_id(self) -> str:
        """The hash that names this task's outputs (see :mod:`gokart_core.task.unique_id`);
        computed once per instance, unless ``cache_unique_id=False``: then on every call."""
        if not self.cache_unique_id:
            return self._make_hash_id()
        if self.task_unique_id is None:
            unique_id.compute_unique_ids(self)
        assert self.task_unique_id is not None
        return self.task_unique_id

    def _make_hash_id(self, requires: list[Any] | None = None) -> str:
        return unique_id.hash_id(self, requires)

    def requires(self) -> Any:
        """By default, gokart's: the tasks given as parameters, as a dict by parameter name."""
        return lookup.default_requires(self)

    def __repr__(self) -> str:
        return lookup.short_repr(self)

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
        processor: Any = None,
    ) -> TargetOnKart:
        """A target at ``{workspace_directory}/{relative_file_path}`` with ``_{unique_id}``
        inserted before the extension (gokart's naming). Without a path:
        ``{module path}/{ClassName}.pkl``. The format follows the extension unless ``format``
        (a registered name, a Format instance, or gokart's ``processor``) says otherwise."""
        path = relative_file_path or targets.default_path(self, ".pkl")
        return targets.task_target(self, path, use_unique_id, processor or format, format_options)

    def make_model_target(
        self,
        relative_file_path: str,
        save_function: Callable[[Any, str], Any],
        load_function: Callable[[str], Any],
        use_unique_id: bool = True,
    ) -> TargetOnKart:
        """A ``.zip`` of the files ``save_function(obj, folder)`` writes, loaded back by
        ``load_function(folder)`` (format ``"model-zip"``, from gokart-zip)."""
        return targets.model_target(
            self, relative_file_path, save_function, load_function, use_unique_id
        )

    def make_large_data_frame_target(
        self,
        relative_file_path: str | None = None,
        use_unique_id: bool = True,
        max_byte: int = 2**26,
    ) -> TargetOnKart:
        """A ``.zip`` of pickled chunks of a DataFrame, each of at most ``max_byte`` bytes, that
        loads back in row order (format ``"large-data-frame"``, from gokart-zip)."""
        return targets.large_data_frame_target(self, relative_file_path, use_unique_id, max_byte)

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
        return io.load_shaped(io.input_targets(self, target))

    @overload
    def load_generator(
        self, target: str | TargetOnKart | None = None
    ) -> Generator[Any, None, None]: ...
    @overload
    def load_generator(self, target: Sequence[TaskOnKart[U]]) -> Generator[U, None, None]: ...
    def load_generator(self, target: Any = None) -> Generator[Any, None, None]:
        """Yield the loaded inputs one by one (lists and dicts flattened, dict values in order)."""
        for t in luigi.task.flatten(io.input_targets(self, target)):
            yield t.load()

    def load_data_frame(
        self,
        target: Any = None,
        required_columns: Iterable[str] | None = None,
        drop_columns: bool = False,
    ) -> pd.DataFrame:
        """Load the inputs as one DataFrame (a list of frames is concatenated) and check that
        ``required_columns`` are present; ``drop_columns=True`` keeps only those."""
        return io.load_data_frame(self, target, required_columns, drop_columns)

    # ``TaskOnKart[T]`` says what the output is: mypy rejects dumping anything else to it. A
    # keyed dump (one entry of a dict output) is Any, as in gokart.
    @overload
    def dump(self, obj: T, target: None = None, custom_labels: Labels = None) -> None: ...
    @overload
    def dump(self, obj: Any, target: str | TargetOnKart, custom_labels: Labels = None) -> None: ...
    def dump(self, obj: Any, target: Any = None, custom_labels: Labels = None) -> None:
        """Write ``obj`` to the output (or to ``output()[target]`` for a dict output). A
        DataFrame is checked against the ``PandasTypeConfig`` of the task's namespace.
        ``custom_labels``: gokart's labels of the object, see :mod:`gokart_core.task.labels`."""
        io.dump(self, obj, target, custom_labels)

    @classmethod
    def restore(cls: type[TaskT], unique_id: str) -> TaskT:
        """The task whose unique id is ``unique_id``, from the parameters its run logged when it
        started (``log/task_params/``) in the workspace configured for the class."""
        return logs.restore(cls, unique_id)

    def get_task_log(self) -> dict[str, Any]:
        """``self.task_log`` if anything is in it, else the logged one, else ``{}``."""
        return self.task_log or dict(logs.read_log(self, "task_log") or {})

    def get_task_params(self) -> dict[str, str]:
        """The logged significant parameters of this task's run, or ``{}``."""
        return dict(logs.read_log(self, "task_params") or {})

    def get_processing_time(self) -> float | str:
        """Seconds the logged run took, or ``"unknown"``."""
        seconds = logs.read_log(self, "processing_time")
        return "unknown" if seconds is None else float(seconds)

    def complete(self) -> bool:
        try:
            return complete.complete(self)
        except Exception as exc:
            # luigi reports a failing complete() as a logged traceback only; the event lets
            # gokart_core.build hand the exception itself (UnknownFormatError, ...) to the caller.
            self.trigger_event(luigi.Event.BROKEN_TASK, self, exc)
            raise
