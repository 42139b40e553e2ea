"""``.npz`` files holding one array under the key ``data``, as gokart writes them.

gokart dumps ``np.savez_compressed(file, data=array)`` and loads ``np.load(file)["data"]``; so
does this format, with two differences that keep data from being lost or code from running:

- only a plain ``numpy.ndarray`` is accepted: not an array of Python objects (saving it pickles
  the objects, and loading a pickle runs code), and not a masked array (the mask would be dropped
  silently). Anything else is a TypeError before a file is created.
- loading never unpickles (``allow_pickle=False``), and a file without a ``data`` array is an
  error naming the arrays it has.
"""

from __future__ import annotations

import io
from typing import IO, Any, ClassVar

import numpy as np

from gokart_core.plugin_api import Format, FormatContext

#: The key gokart stores the array under.
KEY = "data"
#: How an .npz (a zip archive) and an .npy file start.
_ZIP_MAGIC = b"PK\x03\x04"
_NPY_MAGIC = b"\x93NUMPY"


class NpzFormat(Format):
    name: ClassVar[str] = "npz"
    binary: ClassVar[bool] = True
    accepted: ClassVar[str] = "a numpy.ndarray (not of dtype object, not a masked array)"

    def accepts(self, obj: Any) -> bool:
        return (
            isinstance(obj, np.ndarray)
            and not isinstance(obj, np.ma.MaskedArray)
            and not obj.dtype.hasobject
        )

    def dump(self, obj: Any, fp: IO[bytes], context: FormatContext) -> None:
        np.savez_compressed(fp, **{KEY: obj})

    def load(self, fp: IO[bytes], context: FormatContext) -> np.ndarray[Any, Any]:
        if not fp.seekable():  # a zip archive is read from its end
            fp = io.BytesIO(fp.read())
        # numpy takes whatever is neither an .npz (a zip) nor an .npy for a pickle, and then
        # advises allow_pickle=True: dangerous advice for a file that is merely corrupt.
        start = fp.tell()
        magic = fp.read(len(_NPY_MAGIC))
        fp.seek(start)
        if not magic.startswith((_ZIP_MAGIC, _NPY_MAGIC)):
            raise ValueError(
                f"not an .npz archive: it starts with {magic[:8]!r}, not a zip signature "
                f"({_ZIP_MAGIC!r}); the file is corrupt or of another format"
            )
        loaded = np.load(fp, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise ValueError(f"not an .npz archive but a single {type(loaded).__name__}")
        with loaded:
            if KEY not in loaded.files:
                raise KeyError(
                    f"no array named {KEY!r} in the archive (it has {loaded.files}); "
                    f"gokart's .npz holds one array under the key {KEY!r}"
                )
            array: np.ndarray[Any, Any] = loaded[KEY]
            return array
