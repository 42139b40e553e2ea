"""Incomplete multipart uploads: what a writer killed mid-upload leaves on S3.

Nothing of it is visible at the key, but S3 stores (and bills) the uploaded parts until the
upload is completed or aborted. Told apart from a live writer's upload by age only: S3 says
when an upload was initiated, not whether anybody still sends parts.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from typing import Any

from gokart_core.plugin_api import Leftover

logger = logging.getLogger(__name__)


def stale(fs: Any, bucket: str, prefix: str, older_than: float) -> list[dict[str, Any]]:
    """The incomplete uploads in ``bucket`` whose keys start with ``prefix``, initiated more
    than ``older_than`` seconds ago: ``{"Bucket", "Key", "UploadId", "Initiated"}`` each."""
    now = dt.datetime.now(dt.timezone.utc)
    found: list[dict[str, Any]] = []
    marker: dict[str, str] = {}
    while True:
        reply = fs.call_s3("list_multipart_uploads", Bucket=bucket, Prefix=prefix, **marker)
        uploads = [{**u, "Bucket": bucket} for u in reply.get("Uploads", [])]
        found.extend(older_than_seconds(uploads, older_than, now))
        if not reply.get("IsTruncated"):
            return found
        marker = {
            "KeyMarker": reply["NextKeyMarker"],
            "UploadIdMarker": reply["NextUploadIdMarker"],
        }


def older_than_seconds(
    uploads: list[dict[str, Any]], seconds: float, now: dt.datetime
) -> list[dict[str, Any]]:
    """The uploads initiated at least ``seconds`` before ``now`` (a time without a zone is
    taken as UTC, which S3 gives)."""
    cutoff = now - dt.timedelta(seconds=seconds)
    old = []
    for upload in uploads:
        initiated = upload["Initiated"]
        if initiated.tzinfo is None:
            initiated = initiated.replace(tzinfo=dt.timezone.utc)
        if initiated <= cutoff:
            old.append(upload)
    return old


def abort(fs: Any, upload: dict[str, Any]) -> None:
    fs.call_s3(
        "abort_multipart_upload",
        Bucket=upload["Bucket"],
        Key=upload["Key"],
        UploadId=upload["UploadId"],
    )


def under(fs: Any, path: str, older_than: float) -> list[Leftover]:
    """The stale uploads below the folder (or bucket) ``path``, for ``gokart-core clean``."""
    bucket, key, _ = fs.split_path(path)
    prefix = f"{key.rstrip('/')}/" if key else ""
    return [
        Leftover(
            f"s3://{bucket}/{u['Key']} (incomplete upload {u['UploadId']})",
            None,
            functools.partial(abort, fs, u),
        )
        for u in stale(fs, bucket, prefix, older_than)
    ]


def abort_stale(fs: Any, path: str, older_than: float) -> None:
    """Abort the stale uploads of exactly the key ``path``; a failure is logged, never raised
    (the dump itself has succeeded)."""
    bucket, key, _ = fs.split_path(path)
    try:
        for upload in stale(fs, bucket, key, older_than):
            if upload["Key"] == key:
                abort(fs, upload)
                logger.info("aborted the incomplete upload %s of %s", upload["UploadId"], path)
    except Exception as exc:  # clean-up is best effort
        logger.warning("could not abort the incomplete uploads of %s: %s", path, exc)
