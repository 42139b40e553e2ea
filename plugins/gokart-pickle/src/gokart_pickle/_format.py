"""Pickle files, written by the C pickler and streamed to the file.

gokart wrote ``dill.dumps(obj, protocol=4)`` into one in-memory buffer. Here the C pickler streams
straight to the file (no second copy of a large object in memory, no pure-Python pickler), with
protocol 5 so that large numpy/pandas buffers are written without an intermediate copy. Only what
the standard pickler cannot save by reference (lambdas, functions and classes defined in
``__main__`` or inside functions) is handed to dill, as gokart users expect those to work; an
object the standard pickler refuses altogether (one holding a lock, a module) is written with
dill as a whole, as gokart did (on files that can be rewound: local and memory workspaces).
Loading uses the C unpickler, which reads gokart's dill pickles too (dill is installed alongside),
and falls back to ``pandas.read_pickle`` for pickles of older pandas versions.
"""

from __future__ import annotations

import pickle
import types
from typing import IO, Any, ClassVar

from gokart_core.plugin_api import Format, FormatContext

#: Protocol 5 (Python 3.8+) pickles large buffers out of the way of the byte stream.
DEFAULT_PROTOCOL = 5


def _needs_dill(obj: Any) -> bool:
    """Whether the standard pickler would fail to save ``obj`` by reference."""
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", "")
    return module == "__main__" or "<lambda>" in qualname or "<locals>" in qualname


class _Pickler(pickle.Pickler):
    """The C pickler, passing functions and classes that need it to dill."""

    def reducer_override(self, obj: Any) -> Any:
        # Called for most objects: keep the common path to two type checks.
        if isinstance(obj, (types.FunctionType, type)) and _needs_dill(obj):
            import dill

            # ``dill.loads`` is stored by reference: reading needs dill, as gokart's pickles do.
            return dill.loads, (dill.dumps(obj, protocol=4, recurse=True),)
        return NotImplemented


class PickleFormat(Format):
    name: ClassVar[str] = "pickle"
    binary: ClassVar[bool] = True

    def dump(self, obj: Any, fp: IO[bytes], context: FormatContext) -> None:
        protocol = int(self.options.get("protocol", DEFAULT_PROTOCOL))
        try:
            _Pickler(fp, protocol=protocol).dump(obj)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            # Something inside only dill can save (a lock, a module, ...): gokart dumped such
            # objects with dill, so do the same, starting the file again.
            if not fp.seekable():
                raise
            import dill

            fp.seek(0)
            fp.truncate()
            try:
                dill.dump(obj, fp, protocol=4)
            except Exception:
                raise exc from None

    def load(self, fp: IO[bytes], context: FormatContext) -> Any:
        try:
            return pickle.load(fp)
        except (pickle.UnpicklingError, AttributeError, ImportError, TypeError, EOFError) as exc:
            # Pickles of older pandas versions need pandas' compatibility shims.
            try:
                import pandas as pd
            except ImportError:
                raise exc from None
            if not fp.seekable():
                raise
            fp.seek(0)
            try:
                return pd.read_pickle(fp)
            except Exception:
                raise exc from None
