"""S3 workspaces for gokart-core: ``workspace_directory=s3://bucket/prefix``.

Installing this distribution installs s3fs (fsspec's S3 filesystem) and answers the
``gokart_get_filesystem`` hook for ``s3://`` and ``s3a://`` URLs, merging two sources of
storage options, the second winning:

1. the ``[gokart_s3]`` section of the luigi config (see :class:`gokart_s3`);
2. the task's ``storage_options`` parameter (a JSON dict: per task, on the command line as
   ``--storage-options '{"anon": true}'``, or in ``[TaskOnKart]`` for every task).

Writes publish on commit (``gokart_atomic_writer``): a failed dump aborts its upload and
leaves nothing at the target's key. A task's dump sets gokart's labels
(``self.dump(obj, custom_labels={...})`` and the task's parameters) as the object's user
metadata (``x-amz-meta-*``), in the upload itself: see :func:`metadata_of_labels`.

Everything else (credentials from the environment, ``~/.aws``, instance roles) is s3fs's and
botocore's usual lookup. Other protocols are left to the next implementation (core's builtin:
``fsspec.core.url_to_fs``).
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import fsspec.core
import luigi

from gokart_core.plugin_api import (
    Leftover,
    ObjectStore,
    fit_metadata,
    hookimpl,
    merge_storage_options,
    thaw,
)
from gokart_s3 import _aiobotocore, _uploads

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

__all__ = [
    "gokart_atomic_writer",
    "gokart_file_exists",
    "gokart_find_leftovers",
    "gokart_get_filesystem",
    "gokart_s3",
    "merge_storage_options",
    "metadata_of_labels",
    "storage_options_from_config",
]

#: The URL protocols this plugin answers for.
PROTOCOLS = ("s3", "s3a")
#: S3's limit of an object's user metadata: the UTF-8 bytes of its keys and values, summed.
MAX_METADATA_BYTES = 2 * 1024
#: What an HTTP header name may hold (a key becomes the header ``x-amz-meta-{key}``).
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")

logger = logging.getLogger(__name__)


class gokart_s3(luigi.Config):  # luigi names a config section after its class
    """The ``[gokart_s3]`` section of the luigi config: options for every ``s3://`` target.

    Unset options are left to s3fs and botocore (environment, ``~/.aws/config``, instance role).
    """

    endpoint_url: str | None = luigi.OptionalParameter(
        default=None,
        description="An S3-compatible endpoint (MinIO, Ceph, moto, ...): http://host:port",
    )
    profile: str | None = luigi.OptionalParameter(
        default=None, description="A profile of ~/.aws/credentials and ~/.aws/config."
    )
    anon: bool = luigi.BoolParameter(
        default=False, description="Anonymous access (public buckets): no credentials sent."
    )
    key: str | None = luigi.OptionalParameter(default=None, description="Access key id.")
    secret: str | None = luigi.OptionalParameter(default=None, description="Secret access key.")
    token: str | None = luigi.OptionalParameter(default=None, description="Session token.")
    region_name: str | None = luigi.OptionalParameter(default=None, description="The region.")
    retries: int | None = luigi.OptionalIntParameter(
        default=None,
        description="Attempts of s3fs per request before an error (s3fs's default: 5); "
        "botocore's own retries are set with config_kwargs in storage_options.",
    )
    storage_options: dict[str, Any] = luigi.DictParameter(
        default={},
        description="Any other keyword arguments of s3fs.S3FileSystem, as a JSON object.",
    )
    abort_uploads_after: float = luigi.FloatParameter(
        default=3600.0,
        description="A dump that uploads in parts aborts the incomplete multipart uploads of "
        "its key started more than this many seconds ago (writers killed mid-upload; a live "
        "writer of the same key is younger).",
    )


def storage_options_from_config() -> dict[str, Any]:
    """The ``[gokart_s3]`` section as s3fs keyword arguments (unset options left out)."""
    config = gokart_s3()
    options: dict[str, Any] = thaw(config.storage_options)
    for name in ("endpoint_url", "profile", "key", "secret", "token"):
        value = getattr(config, name)
        if value is not None:
            options[name] = value
    if config.anon:
        options["anon"] = True
    if config.retries is not None:
        options["retries"] = config.retries
    if config.region_name is not None:
        options.setdefault("client_kwargs", {})["region_name"] = config.region_name
    return options


def _make_filesystem(url: str, options: dict[str, Any]) -> tuple[AbstractFileSystem, str]:
    # s3fs takes its retries as an attribute, not an argument.
    retries = options.pop("retries", None)
    # fsspec caches filesystem instances by their arguments: every target with the same
    # options shares one s3fs instance (and its connection pool).
    fs, path = fsspec.core.url_to_fs(url, **options)
    if retries is not None:
        fs.retries = int(retries)
    _aiobotocore.prepare(fs)  # what earlier filesystems parsed already
    return fs, path


def _publish_in_one_put(fs: AbstractFileSystem, path: str, fp: Any) -> bool:
    """When nothing was sent yet (the data all in s3fs's buffer), s3fs's ``commit`` publishes the
    buffer with one PUT, where closing first would make a multipart upload of one part: three
    requests, and an upload left behind if the process dies between them. (s3fs's file keeps
    ``offset`` None and no ``parts`` until its first upload.)"""
    if getattr(fp, "offset", 0) is not None or getattr(fp, "parts", None):
        return False
    if getattr(fp, "buffer", None) is None:
        return False
    fp.commit()
    fp.closed = True
    fs.invalidate_cache(path)
    return True


def _publish(fs: AbstractFileSystem, path: str, fp: Any) -> bool:
    """Publish in one PUT when possible; else complete the multipart upload, then abort the
    uploads of the same key that killed writers left open (invisible, but stored and billed).
    Only dumps large enough for parts look: a small dump starts no upload, and asking on every
    dump would add a request to each."""
    if _publish_in_one_put(fs, path, fp):
        return True
    fp.close()
    fp.commit()
    _uploads.abort_stale(fs, path, gokart_s3().abort_uploads_after)
    return True


def _file_exists(fs: Any, path: str) -> bool:
    """One HEAD: s3fs's ``exists`` of a missing key lists ``key/`` after its HEAD (a folder
    would exist), a second request for every output that is not there yet."""
    bucket, key, _version = fs.split_path(path)
    if not key or fs.version_aware:  # a bucket; or versions: s3fs's own lookup
        return bool(fs.exists(path))
    try:
        fs.call_s3("head_object", fs.kwargs, Bucket=bucket, Key=key)
    except FileNotFoundError:
        return False
    return True


def metadata_of_labels(labels: Mapping[str, str]) -> dict[str, str]:
    """An object's labels as S3 user metadata. S3 keeps keys in lower case (they are HTTP
    headers); a key that cannot be a header name is left out with a warning naming it; a value
    that is not printable ASCII is sent as an RFC 2047 encoded word (``=?UTF-8?B?...?=``, as
    S3 asks for such values); labels past S3's 2 KiB are dropped from the end, as gokart fits
    GCS's 8 KiB."""
    metadata: dict[str, str] = {}
    for key, value in labels.items():
        if not _HEADER_NAME.fullmatch(key):
            logger.warning("label %r left out: S3 metadata keys must be HTTP header names", key)
            continue
        if not (value.isascii() and value.isprintable()):
            value = f"=?UTF-8?B?{base64.b64encode(value.encode()).decode()}?="
        metadata.setdefault(key.lower(), value)
    return fit_metadata(metadata, MAX_METADATA_BYTES)


def _metadata_options(labels: Mapping[str, str]) -> dict[str, Any]:
    """s3fs's extra arguments of the upload's calls (PutObject, CreateMultipartUpload)."""
    return {"Metadata": metadata_of_labels(labels)}


_STORE = ObjectStore(
    PROTOCOLS,
    options_from_config=storage_options_from_config,
    make_filesystem=_make_filesystem,
    publish=_publish,
    file_exists=_file_exists,
    metadata_options=_metadata_options,
)


#: The hooks of this plugin: the store's own methods, marked as hook implementations.
gokart_get_filesystem = _STORE.gokart_get_filesystem
gokart_atomic_writer = _STORE.gokart_atomic_writer
gokart_file_exists = _STORE.gokart_file_exists


@hookimpl
def gokart_find_leftovers(fs: AbstractFileSystem, path: str, older_than: float) -> list[Leftover]:
    """Incomplete multipart uploads under ``path`` (``gokart-core clean``)."""
    return _uploads.under(fs, path, older_than) if _STORE.serves(fs) else []
