"""Zipping a folder, and extracting an archive that may be hostile.

Extraction checks the whole archive before writing anything: every member must have a relative
path without ``..``, a symlink must point inside the folder, and the member count, the total
size and the compression ratios must stay within :class:`ZipLimits`. The sizes are enforced
again while the data is written, so an archive whose headers lie about them is stopped too.
Nothing is ever written outside the destination folder.
"""

from __future__ import annotations

import os
import posixpath
import re
import shutil
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

#: Copy buffer for extraction.
_CHUNK = 1 << 20
#: The longest symlink target read from an archive.
_MAX_LINK_TARGET = 4096
_DRIVE = re.compile(r"^[A-Za-z]:")


class UnsafeArchiveError(ValueError):
    """An archive was refused: a member would land outside the folder, or it is a zip bomb."""


@dataclass(frozen=True)
class ZipLimits:
    """What an archive may hold. Pass as the format option ``limits`` to change them."""

    #: Members (files, folders, symlinks) in one archive.
    max_members: int = 100_000
    #: Bytes of all members once extracted (also never more than the free disk space).
    max_total_size: int = 2**35
    #: Extracted size over compressed size, of a member and of the whole archive. deflate
    #: (which the writer uses) never exceeds about 1032:1, so only bombs go beyond: other
    #: compression methods, or members sharing their compressed data.
    max_ratio: float = 1100.0
    #: Sizes up to this are never refused for their ratio (a small file may compress to nothing).
    ratio_threshold: int = 2**20


def zip_folder(folder: str, fp: IO[bytes]) -> None:
    """Write every file and folder under ``folder`` into a zip archive on ``fp``, deflated,
    with paths relative to ``folder`` (gokart's layout). Symlinks are stored as the files they
    point to."""
    with zipfile.ZipFile(fp, "w", zipfile.ZIP_DEFLATED, strict_timestamps=False) as zf:
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames.sort()
            rel_dir = os.path.relpath(dirpath, folder)
            if rel_dir != os.curdir:
                zf.write(dirpath, _arcname(rel_dir) + "/")
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                zf.write(path, _arcname(os.path.join(rel_dir, name)))


def _arcname(relative: str) -> str:
    return posixpath.normpath(relative.replace(os.sep, "/"))


@dataclass(frozen=True)
class _Member:
    info: zipfile.ZipInfo
    parts: tuple[str, ...]
    kind: str  # "dir", "file" or "link"
    link_target: str = ""


def extract_safely(
    zf: zipfile.ZipFile, destination: str, limits: ZipLimits, archive_size: int | None = None
) -> None:
    """Extract ``zf`` into the existing folder ``destination``, or raise
    :class:`UnsafeArchiveError`. Names, symlink targets, member count, sizes and ratios are
    checked before anything is written (``archive_size``, the archive's size in bytes, enables
    the whole-archive ratio check); sizes are checked again while writing. Either way nothing
    is written outside ``destination``."""
    root = os.path.realpath(destination)
    members = list(_checked_members(zf, limits, archive_size, root))
    total = 0
    for member in members:
        path = _inside(root, member.parts)
        if member.kind == "dir":
            os.makedirs(path, exist_ok=True)
        elif member.kind == "file":
            os.makedirs(os.path.dirname(path), exist_ok=True)
            total = _copy_member(zf, member.info, path, total, limits)
    # Symlinks last: no member is ever written through a symlink taken from the archive.
    for member in members:
        if member.kind == "link":
            _make_link(root, member)


def _checked_members(
    zf: zipfile.ZipFile, limits: ZipLimits, archive_size: int | None, root: str
) -> Iterator[_Member]:
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise UnsafeArchiveError(
            f"the archive has {len(infos)} members, more than the limit of "
            f"{limits.max_members} (max_members): refused as a possible zip bomb"
        )
    declared = sum(info.file_size for info in infos)
    if declared > limits.max_total_size:
        raise UnsafeArchiveError(
            f"the archive would extract to {declared} bytes, more than the limit of "
            f"{limits.max_total_size} (max_total_size): refused as a possible zip bomb"
        )
    if archive_size is not None:
        _check_ratio("the archive", declared, archive_size, limits)
    free = shutil.disk_usage(root).free
    if declared > free:
        raise UnsafeArchiveError(
            f"the archive would extract to {declared} bytes, but {root!r} has only {free} bytes "
            "free: refused"
        )
    for info in infos:
        name = info.filename
        parts = _relative_parts(name)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            yield _Member(info, parts, "link", _link_target(zf, info, parts))
            continue
        if info.is_dir():
            yield _Member(info, parts, "dir")
            continue
        if not parts:
            raise UnsafeArchiveError(f"member {name!r} has no file name: refused")
        _check_ratio(f"member {name!r}", info.file_size, info.compress_size, limits)
        yield _Member(info, parts, "file")


def _check_ratio(what: str, size: int, compressed: int, limits: ZipLimits) -> None:
    if size <= limits.ratio_threshold:
        return
    ratio = size / max(compressed, 1)
    if ratio > limits.max_ratio:
        raise UnsafeArchiveError(
            f"{what} expands {size} bytes from {compressed} (ratio {ratio:.0f}, limit "
            f"{limits.max_ratio:.0f}, max_ratio): refused as a possible zip bomb"
        )


def _relative_parts(name: str) -> tuple[str, ...]:
    """The path components of a member name, refusing any name that could leave the folder."""
    if "\x00" in name:
        raise UnsafeArchiveError(f"member {name!r} has a NUL byte in its name: refused")
    normalized = name.replace("\\", "/")
    if normalized.startswith("/") or _DRIVE.match(normalized):
        raise UnsafeArchiveError(
            f"member {name!r} has an absolute path: refused (it would be written outside the "
            "extraction folder)"
        )
    parts = tuple(p for p in normalized.split("/") if p not in ("", "."))
    if ".." in parts:
        raise UnsafeArchiveError(
            f"member {name!r} contains '..': refused (path traversal out of the extraction folder)"
        )
    return parts


def _link_target(zf: zipfile.ZipFile, info: zipfile.ZipInfo, parts: tuple[str, ...]) -> str:
    if not parts:
        raise UnsafeArchiveError(f"symlink member {info.filename!r} has no name: refused")
    if info.file_size > _MAX_LINK_TARGET:
        raise UnsafeArchiveError(f"symlink member {info.filename!r} is too long: refused")
    with zf.open(info) as src:
        target = src.read(_MAX_LINK_TARGET + 1).decode("utf-8", "surrogateescape")
    normalized = target.replace("\\", "/")
    resolved = posixpath.normpath(posixpath.join("/".join(parts[:-1]), normalized))
    if (
        not target
        or "\x00" in target
        or normalized.startswith("/")
        or _DRIVE.match(normalized)
        or resolved == ".."
        or resolved.startswith("../")
    ):
        raise UnsafeArchiveError(
            f"symlink member {info.filename!r} points to {target!r}, outside the extraction "
            "folder: refused"
        )
    return target


def _inside(root: str, parts: tuple[str, ...]) -> str:
    """``root/parts...``, checked to stay inside ``root`` once symlinks are resolved."""
    path = os.path.join(root, *parts)
    real_parent = os.path.realpath(os.path.dirname(path))
    if real_parent != root and not real_parent.startswith(root + os.sep):
        raise UnsafeArchiveError(
            f"member {'/'.join(parts)!r} would be written outside the extraction folder: refused"
        )
    return path


def _copy_member(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: str, total: int, limits: ZipLimits
) -> int:
    written = 0
    # "xb": a second member of the same name is refused, never written over the first.
    try:
        dst = open(path, "xb")  # noqa: SIM115 - closed by the with below
    except FileExistsError:
        raise UnsafeArchiveError(f"member {info.filename!r} appears twice: refused") from None
    with zf.open(info) as src, dst:
        while chunk := src.read(_CHUNK):
            written += len(chunk)
            total += len(chunk)
            if written > info.file_size or total > limits.max_total_size:
                raise UnsafeArchiveError(
                    f"member {info.filename!r} extracts to more bytes than its header says "
                    f"({info.file_size}) or than max_total_size: refused as a zip bomb"
                )
            dst.write(chunk)
    return total


def _make_link(root: str, member: _Member) -> None:
    path = _inside(root, member.parts)
    if os.path.lexists(path):
        raise UnsafeArchiveError(f"symlink member {member.info.filename!r} appears twice: refused")
    os.symlink(member.link_target, path)
    real = os.path.realpath(path)
    if real != root and not real.startswith(root + os.sep):
        os.unlink(path)
        raise UnsafeArchiveError(
            f"symlink member {member.info.filename!r} points to {member.link_target!r}, outside "
            "the extraction folder: refused"
        )
