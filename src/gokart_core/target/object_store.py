"""What the plugins of object stores share (gokart-s3, gokart-gcs, and any other store whose
files publish on commit): answering ``gokart_get_filesystem`` for their protocols with their
config section under a task's ``storage_options``, and ``gokart_atomic_writer`` by fsspec's
transactional files (``autocommit=False``, then ``commit()`` or ``discard()``).

A plugin makes one :class:`ObjectStore`, whose methods are both hooks' implementations::

    _STORE = ObjectStore(("s3", "s3a"), options_from_config=storage_options_from_config)
    gokart_get_filesystem = _STORE.gokart_get_filesystem
    gokart_atomic_writer = _STORE.gokart_atomic_writer
    gokart_file_exists = _STORE.gokart_file_exists  # when given ``file_exists``
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

import fsspec.core

from gokart_core.locks.held import before_publish
from gokart_core.plugin.markers import hookimpl
from gokart_core.target.storage import merge_storage_options

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

#: Makes the filesystem of a URL from the merged options: ``(fs, path on it)``.
MakeFilesystem = Callable[[str, dict[str, Any]], "tuple[AbstractFileSystem, str]"]
#: Publishes a transactional file that the ``with`` block wrote whole: True when it did
#: (the store's own shortcut), False to leave it to the usual ``close()`` and ``commit()``.
Publish = Callable[["AbstractFileSystem", str, Any], bool]
#: Whether a file (not a folder) exists at a path: the store's cheaper answer than ``exists``.
FileExists = Callable[["AbstractFileSystem", str], bool]
#: The keyword arguments of ``fs.open`` that set an object's labels (``gokart_atomic_writer``'s
#: ``metadata``) as the store's user metadata: ``{"metadata": ...}`` for gcsfs.
MetadataOptions = Callable[[Mapping[str, str]], dict[str, Any]]


def _url_to_fs(url: str, options: dict[str, Any]) -> tuple[AbstractFileSystem, str]:
    # fsspec caches filesystem instances by their arguments: every target with the same
    # options shares one instance (and its connection pool).
    fs, path = fsspec.core.url_to_fs(url, **options)
    return fs, path


@dataclass(frozen=True)
class ObjectStore:
    """An object store as a storage plugin serves it."""

    #: The URL protocols it answers for (``("s3", "s3a")``); the first is its name in messages.
    protocols: Sequence[str]
    #: The plugin's config section as filesystem keyword arguments (unset options left out).
    options_from_config: Callable[[], dict[str, Any]]
    #: How a filesystem is made from a URL and the merged options.
    make_filesystem: MakeFilesystem = _url_to_fs
    #: The store's own way to publish a finished file, tried before ``close()`` + ``commit()``.
    publish: Publish | None = None
    #: The store's own ``gokart_file_exists``, when it has one.
    file_exists: FileExists | None = None
    #: How labels become ``fs.open`` options; None: the store keeps no labels.
    metadata_options: MetadataOptions | None = None

    def answers(self, url: str) -> bool:
        protocol = url.split("://", 1)[0].lower() if "://" in url else ""
        return protocol in self.protocols

    def filesystem(
        self, url: str, storage_options: Mapping[str, Any]
    ) -> tuple[AbstractFileSystem, str] | None:
        """``gokart_get_filesystem``: the config section, then the task's options over it."""
        if not self.answers(url):
            return None
        return self.make_filesystem(
            url, merge_storage_options(self.options_from_config(), storage_options)
        )

    def serves(self, fs: AbstractFileSystem) -> bool:
        protocol = fs.protocol
        names = (protocol,) if isinstance(protocol, str) else tuple(protocol)
        return any(name in self.protocols for name in names)

    def atomic_writer(
        self, fs: AbstractFileSystem, path: str, metadata: Mapping[str, str] | None = None
    ) -> AbstractContextManager[IO[bytes]] | None:
        """``gokart_atomic_writer`` for a filesystem of this store, else None."""
        if not self.serves(fs):
            return None
        options = self.metadata_options(metadata) if metadata and self.metadata_options else {}
        return commit_on_success(fs, path, self.publish, options)

    @hookimpl
    def gokart_get_filesystem(
        self, url: str, storage_options: Mapping[str, Any]
    ) -> tuple[AbstractFileSystem, str] | None:
        return self.filesystem(url, storage_options)

    @hookimpl
    def gokart_file_exists(self, fs: AbstractFileSystem, path: str) -> bool | None:
        if self.file_exists is None or not self.serves(fs):
            return None
        return self.file_exists(fs, path)

    @hookimpl
    def gokart_atomic_writer(
        self, fs: AbstractFileSystem, path: str, metadata: Mapping[str, str]
    ) -> AbstractContextManager[IO[bytes]] | None:
        return self.atomic_writer(fs, path, metadata)


@contextmanager
def commit_on_success(
    fs: AbstractFileSystem,
    path: str,
    publish: Publish | None = None,
    open_options: Mapping[str, Any] | None = None,
) -> Iterator[IO[bytes]]:
    """``path`` opened as one of fsspec's transactional files: nothing is visible at ``path``
    until the ``with`` block succeeds and the file is committed; on failure it is discarded
    (a multipart or resumable upload is aborted: one left behind is invisible, but kept and
    billed). ``open_options``: more keyword arguments of ``fs.open`` (the object's metadata)."""
    fp = fs.open(path, "wb", autocommit=False, **(open_options or {}))
    try:
        yield fp
        before_publish()
        if publish is None or not publish(fs, path, fp):
            fp.close()
            fp.commit()
    except BaseException:
        # The server may be unreachable, which is what failed: whatever the abort raises, the
        # original error is the one to report.
        with contextlib.suppress(Exception):
            fp.discard()
        # A discarded file must never be closed again: fsspec's ``__del__`` would close it,
        # which starts a new upload (and fails on the dropped buffer, leaving that behind).
        with contextlib.suppress(Exception):
            fp.closed = True
        raise


def fit_metadata(labels: Mapping[str, str], max_bytes: int) -> dict[str, str]:
    """``labels`` within a store's limit of ``max_bytes`` (the UTF-8 bytes of every key and
    value, summed): gokart's rule, dropping labels from the last one back until the rest fit,
    so that the custom labels (first) outlive the task parameters' and the required outputs'."""
    kept = dict(labels)

    def size() -> int:
        return sum(len(k.encode()) + len(v.encode()) for k, v in kept.items())

    while kept and size() > max_bytes:
        kept.pop(next(reversed(kept)))
    return kept


__all__ = ["ObjectStore", "commit_on_success", "fit_metadata"]
