"""The existence cache: which outputs exist, asked once per file (or folder) during a build."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fsspec import AbstractFileSystem

from gokart_core.forksafe import filesystem_key
from gokart_core.target.storage import is_local


class ExistenceCache:
    """Remembers which files exist during one build, so each is checked once.

    Only positive answers are kept: a file that exists stays there during a build (unless
    gokart-core itself removes it, which updates the cache), while a missing file may be written
    at any moment by another worker or application, so it is always asked again.

    On remote filesystems (anything but local disk) one request per file adds up: a no-op
    rebuild of N tasks on S3 would send N HEAD requests. There, the second file asked for in a
    folder makes the cache list that folder once (a few paged requests for thousands of files);
    every file of the listing is then known to exist for the rest of the build. A file missing
    from the listing is still asked for on its own, since it may have appeared since; and when
    files keep missing from it (the listing is older than they are: a root asking for the
    leaves that other processes wrote since), the folder is listed again, after LIST_AFTER
    misses, then twice as many each time: a few listings, never one per file.

    Filesystems are told apart by :func:`~gokart_core.forksafe.filesystem_key`, not by
    instance: a task process that luigi forks inherits the cache, and what its parent knew
    (files that existed still exist) serves the child's own filesystem instances too.
    """

    #: How many files of one folder are checked one by one before the folder is listed.
    LIST_AFTER = 2

    def __init__(self) -> None:
        self._depth = 0
        self._known: set[tuple[Any, str]] = set()
        #: Folders asked about (count), and the listings of those listed:
        #: (filesystem key, folder) -> names.
        self._asked: dict[tuple[Any, str], int] = {}
        self._listed: dict[tuple[Any, str], set[str]] = {}
        #: Files missing from a folder's listing since it was made, and how many make it listed
        #: again: (filesystem key, folder) -> [misses, threshold].
        self._misses: dict[tuple[Any, str], list[int]] = {}

    @contextmanager
    def scope(self) -> Iterator[None]:
        """Cache inside the ``with`` block (nested blocks share the outer one's cache)."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0:
                self._known.clear()
                self._asked.clear()
                self._listed.clear()
                self._misses.clear()

    def exists(
        self,
        fs: AbstractFileSystem,
        path: str,
        check: Callable[[AbstractFileSystem, str], bool] | None = None,
    ) -> bool:
        """Whether ``path`` exists: from what the build knows, else asked by ``check``
        (``fs.exists`` by default; targets ask the storage plugins' ``gokart_file_exists``)."""
        key = (filesystem_key(fs), path)
        if key in self._known:
            return True
        if self._depth and not is_local(fs) and path in self._listing(fs, path):
            self._known.add(key)
            return True
        found = bool(fs.exists(path) if check is None else check(fs, path))
        if found and self._depth:
            self._known.add(key)
        return found

    def _listing(self, fs: AbstractFileSystem, path: str) -> set[str]:
        """The names in ``path``'s folder, listed from the LIST_AFTER-th file asked for there
        (an empty set before), and again when files keep missing from it."""
        folder = fs._parent(path)
        key = (filesystem_key(fs), folder)
        listing = self._listed.get(key)
        if listing is not None:
            if path in listing:
                return listing
            misses = self._misses.setdefault(key, [0, self.LIST_AFTER])
            misses[0] += 1
            if misses[0] < misses[1]:
                return listing
            self._misses[key] = [0, 2 * misses[1]]
            return self._list(fs, folder, key)
        self._asked[key] = asked = self._asked.get(key, 0) + 1
        if asked < self.LIST_AFTER:
            return set()
        return self._list(fs, folder, key)

    def _list(self, fs: AbstractFileSystem, folder: str, key: tuple[Any, str]) -> set[str]:
        try:
            names = fs.ls(folder, detail=False, refresh=True)
        except OSError:
            # No folder yet, or no permission to list (an S3 policy without s3:ListBucket):
            # files are asked for one by one, as without the cache.
            names = []
        finally:
            # Never leave the listing in the filesystem's own directory cache: fsspec answers
            # ``exists`` from it, negatively too, and would never see another worker's files.
            fs.invalidate_cache(folder)
        listing = {str(name).rstrip("/") for name in names}
        self._listed[key] = listing
        return listing

    def mark_written(self, fs: AbstractFileSystem, path: str) -> None:
        if self._depth:
            self._known.add((filesystem_key(fs), path))

    def mark_removed(self, fs: AbstractFileSystem, path: str) -> None:
        key = filesystem_key(fs)
        self._known.discard((key, path))
        listing = self._listed.get((key, fs._parent(path)))
        if listing is not None:
            listing.discard(path)


#: The process-wide cache; ``gokart_core.build`` and ``gokart_core.run`` open its scope.
existence_cache = ExistenceCache()
