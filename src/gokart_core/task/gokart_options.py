"""The options of gokart's ``TaskOnKart`` that gokart-core honours as gokart documents them:
random seeds, unique-id caching, feather indexes, removing outputs of older runs, and
``get_info``. A base class of ``TaskOnKart``, so that the options read as task parameters.

Every option here is insignificant: none changes a task's unique id.
"""

from __future__ import annotations

import luigi

from gokart_core.task.basic_parameters import ExplicitBoolParameter
from gokart_core.task.kind import KartTask


class GokartOptions:
    """gokart's options beyond the workspace, the checks and the lock (see ``TaskOnKart``)."""

    #: gokart's "no value" for ``fix_random_seed_value``: the seed then follows the unique id.
    FIX_RANDOM_SEED_VALUE_NONE_MAGIC_NUMBER = -42497368

    fix_random_seed_methods: tuple[str, ...] = luigi.ListParameter(
        default=("random.seed", "numpy.random.seed"),
        significant=False,
        description="Seeding functions called with the task's seed before run().",
    )
    fix_random_seed_value: int = luigi.IntParameter(
        default=FIX_RANDOM_SEED_VALUE_NONE_MAGIC_NUMBER,
        significant=False,
        description="The seed; by default one derived from the unique id.",
    )
    store_index_in_feather: bool = ExplicitBoolParameter(
        default=True, significant=False, description="Keep a DataFrame's index in .feather files."
    )
    cache_unique_id: bool = ExplicitBoolParameter(
        default=True,
        significant=False,
        description="Compute the unique id once; false: again on every call.",
    )
    delete_unnecessary_output_files: bool = luigi.BoolParameter(
        default=False,
        significant=False,
        description="After the build, remove the workspace's outputs of older parameters.",
    )

    def get_info(self, only_significant: bool = False) -> dict[str, str]:
        """The parameters as strings by name (gokart's): a task parameter as
        ``{ClassName}-{unique_id}``, every other as its serialized value."""
        params = dict(self.get_params())  # type: ignore[attr-defined]
        info = {}
        for name, value in self.param_kwargs.items():  # type: ignore[attr-defined]
            param = params[name]
            if only_significant and not param.significant:
                continue
            if isinstance(value, KartTask):
                info[name] = f"{type(value).__name__}-{value.make_unique_id()}"  # type: ignore[attr-defined]
            else:
                info[name] = param.serialize(value)
        return info


__all__ = ["GokartOptions"]
