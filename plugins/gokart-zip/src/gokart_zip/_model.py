"""The ``model-zip`` format: objects saved as several files by their own save function.

``save_function(obj, path)`` writes into a fresh temporary folder (``path`` is
``{folder}/model.pkl``, gokart's name, so gensim's ``Word2Vec.save`` writes ``model.pkl`` and
its ``.npy`` arrays beside it); the folder is zipped into the file the core opened, which the
core publishes atomically on any filesystem. A load extracts the archive safely into another
fresh folder and returns ``load_function(path)``. Temporary folders live under the option
``local_temporary_directory`` (the task's parameter), are made by core's ``staging_folder`` (never
shared by two tasks or threads) and are removed afterwards, also when anything fails; one left by
a process that was killed is removed by the next dump or load.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any, ClassVar

from gokart_core.plugin_api import Format, FormatContext, staging_folder
from gokart_zip._safe_zip import ZipLimits, extract_safely, zip_folder

logger = logging.getLogger(__name__)

#: The file name handed to save_function and load_function inside the folder (gokart's).
MAIN_FILE = "model.pkl"
_CHUNK = 1 << 20


def _seekable(fp: IO[bytes]) -> bool:
    try:
        return bool(fp.seekable())
    except (AttributeError, ValueError, OSError):
        return False


@contextmanager
def _naming(folder: str) -> Iterator[None]:
    """An OSError while writing into the temporary ``folder`` names it: with only the temporary
    disk full, the target's error alone would point at the wrong disk."""
    try:
        yield
    except OSError as exc:
        if exc.errno is None:
            raise
        raise OSError(
            exc.errno,
            f"{exc.strerror} while writing in the temporary folder {folder} "
            "(the task's local_temporary_directory)",
        ) from exc


class ModelZipFormat(Format):
    """A zipped folder written by ``save_function`` and read by ``load_function``.

    Options: ``save_function(obj, path)`` and ``load_function(path)`` (required),
    ``local_temporary_directory`` (default: the system's temporary folder) and ``limits``
    (a :class:`~gokart_zip.ZipLimits`, or a dict of its fields) for extraction.
    """

    name: ClassVar[str] = "model-zip"
    binary: ClassVar[bool] = True
    accepted: ClassVar[str] = "any object its save_function can save"

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        missing = [k for k in ("save_function", "load_function") if not callable(options.get(k))]
        if missing:
            raise ValueError(
                f"format {self.name!r} needs the options save_function(obj, path) and "
                f"load_function(path) (missing or not callable: {', '.join(missing)}); use "
                "TaskOnKart.make_model_target(path, save_function=..., load_function=...)"
            )
        limits = options.get("limits") or ZipLimits()
        self.limits: ZipLimits = limits if isinstance(limits, ZipLimits) else ZipLimits(**limits)

    @property
    def save_function(self) -> Callable[[Any, str], Any]:
        fn: Callable[[Any, str], Any] = self.options["save_function"]
        return fn

    @property
    def load_function(self) -> Callable[[str], Any]:
        fn: Callable[[str], Any] = self.options["load_function"]
        return fn

    @contextmanager
    def temporary_folder(self) -> Iterator[str]:
        """A fresh folder under ``local_temporary_directory``, removed when the block ends."""
        base = self.options.get("local_temporary_directory") or tempfile.gettempdir()
        base = os.path.abspath(os.fspath(base))
        # Locked while in use: a folder whose process died (SIGKILL mid-dump) is removed by
        # the next one made here; a live one is left alone.
        with staging_folder(base, "gokart-zip-") as folder:
            try:
                yield folder
            finally:
                shutil.rmtree(folder, ignore_errors=True)
                if os.path.lexists(folder):
                    logger.warning("could not remove the temporary folder %s", folder)

    def dump(self, obj: Any, fp: IO[bytes], context: FormatContext) -> None:
        with self.temporary_folder() as folder:
            content = os.path.join(folder, "content")
            with _naming(folder):
                os.mkdir(content)
                self.save_function(obj, os.path.join(content, MAIN_FILE))
            if not os.listdir(content):
                raise ValueError(f"save_function {self.save_function!r} wrote no file")
            if _seekable(fp):
                zip_folder(content, fp)
                return
            # Object-store uploads cannot seek back, which zipfile needs for its headers:
            # build the archive locally and stream it.
            staged = os.path.join(folder, "archive.zip")
            with _naming(folder), open(staged, "xb") as out:
                zip_folder(content, out)
            with open(staged, "rb") as src:
                shutil.copyfileobj(src, fp, _CHUNK)

    def load(self, fp: IO[bytes], context: FormatContext) -> Any:
        with self.temporary_folder() as folder:
            content = os.path.join(folder, "content")
            os.mkdir(content)
            if _seekable(fp):
                self._extract(fp, content)
            else:
                staged = os.path.join(folder, "archive.zip")
                with open(staged, "xb") as out:
                    shutil.copyfileobj(fp, out, _CHUNK)
                with open(staged, "rb") as archive:
                    self._extract(archive, content)
            return self.load_function(os.path.join(content, MAIN_FILE))

    def _extract(self, fp: IO[bytes], destination: str) -> None:
        start = fp.tell()
        size = fp.seek(0, os.SEEK_END) - start
        fp.seek(start)
        with zipfile.ZipFile(fp) as zf:
            extract_safely(zf, destination, self.limits, size)
