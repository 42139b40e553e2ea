"""Zip targets for gokart-core.

- ``model-zip`` (``.zip``): ``save_function(obj, path)`` writes one or more files into a fresh
  temporary folder, which is zipped to the target; a load extracts the archive safely into
  another fresh folder and returns ``load_function(path)``. ``TaskOnKart.make_model_target``
  uses it.
- ``large-data-frame``: a zip of pickled chunks of a DataFrame that load back in row order.
  ``TaskOnKart.make_large_data_frame_target`` uses it.

The classes are imported only when a target of one of these formats is first used.
"""

from __future__ import annotations

from gokart_core.plugin_api import FormatRegistry, hookimpl
from gokart_zip._safe_zip import UnsafeArchiveError, ZipLimits

__all__ = ["UnsafeArchiveError", "ZipLimits", "gokart_register_formats"]


@hookimpl
def gokart_register_formats(registry: FormatRegistry) -> None:
    registry.add(
        "model-zip",
        "gokart_zip._model:ModelZipFormat",
        extensions=(".zip",),
        install_hint="gokart-zip",
    )
    # Chosen by name only (make_large_data_frame_target): a .zip is a model-zip by default.
    registry.add(
        "large-data-frame",
        "gokart_zip._large_frame:LargeDataFrameFormat",
        install_hint="'gokart-zip[pandas]'",
    )
