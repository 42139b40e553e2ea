"""Google Cloud Storage workspaces for gokart-core: ``workspace_directory=gs://bucket/prefix``.

Installing this distribution installs gcsfs (fsspec's GCS filesystem) and answers the
``gokart_get_filesystem`` hook for ``gs://`` and ``gcs://`` URLs, merging two sources of
storage options, the second winning:

1. the ``[gokart_gcs]`` section of the luigi config (see :class:`gokart_gcs`);
2. the task's ``storage_options`` parameter (a JSON dict: per task, on the command line as
   ``--storage-options '{"token": "anon"}'``, or in ``[TaskOnKart]`` for every task).

Writes publish on commit (``gokart_atomic_writer``): a failed dump aborts its upload and
leaves nothing at the target's key. A task's dump sets gokart's labels
(``self.dump(obj, custom_labels={...})`` and the task's parameters) as the object's metadata,
in the upload itself, within GCS's 8 KiB as gokart fits them.

Everything else (application default credentials, the metadata server on GCE) is gcsfs's and
google-auth's usual lookup. Other protocols are left to the next implementation (core's
builtin: ``fsspec.core.url_to_fs``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import fsspec.core
import luigi

from gokart_core.plugin_api import ObjectStore, fit_metadata, merge_storage_options, thaw

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

__all__ = [
    "gokart_atomic_writer",
    "gokart_gcs",
    "gokart_get_filesystem",
    "merge_storage_options",
    "storage_options_from_config",
]

#: The URL protocols this plugin answers for.
PROTOCOLS = ("gs", "gcs")
#: GCS's limit of an object's custom metadata, keys and values (gokart's figure).
MAX_METADATA_BYTES = 8 * 1024


class gokart_gcs(luigi.Config):  # luigi names a config section after its class
    """The ``[gokart_gcs]`` section of the luigi config: options for every ``gs://`` target.

    Unset options are left to gcsfs and google-auth (``GOOGLE_APPLICATION_CREDENTIALS``,
    ``gcloud``'s application default credentials, the metadata server).
    """

    endpoint_url: str | None = luigi.OptionalParameter(
        default=None,
        description="A GCS JSON-API endpoint other than Google's (an emulator such as "
        "fake-gcs-server, a proxy): http://host:port. STORAGE_EMULATOR_HOST works too.",
    )
    project: str | None = luigi.OptionalParameter(
        default=None,
        description="The Google Cloud project (needed to create or list buckets; also billed "
        "with requester_pays).",
    )
    token: str | None = luigi.OptionalParameter(
        default=None,
        description="gcsfs's credentials: a service-account JSON file, or one of 'anon' (public "
        "buckets and emulators: nothing sent), 'google_default', 'cache', 'cloud', 'browser'.",
    )
    storage_options: dict[str, Any] = luigi.DictParameter(
        default={},
        description="Any other keyword arguments of gcsfs.GCSFileSystem, as a JSON object.",
    )


def storage_options_from_config() -> dict[str, Any]:
    """The ``[gokart_gcs]`` section as gcsfs keyword arguments (unset options left out)."""
    config = gokart_gcs()
    options: dict[str, Any] = thaw(config.storage_options)
    for name in ("endpoint_url", "project", "token"):
        value = getattr(config, name)
        if value is not None:
            options[name] = value
    return options


def _custom_endpoint(options: Mapping[str, Any]) -> bool:
    """Whether requests go to an endpoint other than Google's own."""
    emulator = os.environ.get("STORAGE_EMULATOR_HOST", "")
    return bool(options.get("endpoint_url")) or emulator not in ("", "default")


def _make_filesystem(url: str, options: dict[str, Any]) -> tuple[AbstractFileSystem, str]:
    if _custom_endpoint(options):
        # Recent gcsfs picks a filesystem that first asks Google's gRPC Storage Control API
        # for each bucket's layout (zonal, hierarchical). An emulator or proxy speaks only the
        # JSON API: that call would wait out its 60 s timeout, again on every open (a failed
        # answer is not cached). The plain JSON-API filesystem makes no such call.
        from gcsfs.core import GCSFileSystem

        fs = GCSFileSystem(**options)  # cached by fsspec per options, as url_to_fs's are
        return fs, str(fs._strip_protocol(url))
    # fsspec caches filesystem instances by their arguments: every target with the same
    # options shares one gcsfs instance (and its HTTP session).
    fs, path = fsspec.core.url_to_fs(url, **options)
    return fs, path


def _metadata_options(labels: Mapping[str, str]) -> dict[str, Any]:
    """gcsfs's ``metadata``: the object's custom metadata, sent with the upload."""
    return {"metadata": fit_metadata(labels, MAX_METADATA_BYTES)}


_STORE = ObjectStore(
    PROTOCOLS,
    options_from_config=storage_options_from_config,
    make_filesystem=_make_filesystem,
    metadata_options=_metadata_options,
)


#: The hooks of this plugin: the store's own methods, marked as hook implementations.
gokart_get_filesystem = _STORE.gokart_get_filesystem
gokart_atomic_writer = _STORE.gokart_atomic_writer
