"""Where a task's file goes: inside its workspace, whatever its relative path says.

``make_target(f"out_{self.name}.txt")`` with ``name`` from the command line must not write
``/etc/x`` because the value was ``/../../etc/x``. The check is lexical (``..`` and absolute
paths, after normalisation), on local paths and URLs alike (``s3://bucket/ws`` stays within its
bucket and prefix); symbolic links inside the workspace are the user's own and are followed.
The joined path itself is returned unchanged, so that file names and lock keys stay gokart's.
"""

from __future__ import annotations

import os
import posixpath

from gokart_core.errors import OutsideWorkspaceError


def workspace_file(workspace: str, relative: str, *, owner: str, allow_outside: bool) -> str:
    """``{workspace}/{relative}``; OutsideWorkspaceError when that leaves ``workspace``
    (unless ``allow_outside``). ``owner`` names the task in the message."""
    joined = os.path.join(workspace, relative)
    if allow_outside or is_inside(workspace, joined):
        return joined
    raise OutsideWorkspaceError(
        f"{owner}: the target path {relative!r} resolves to {joined!r}, outside the workspace "
        f"{workspace!r}. A relative path without '..' stays inside; a parameter used in a "
        "file name must not hold '/' or '..'. To write outside on purpose, set "
        "allow_outside_workspace = True on the task class."
    )


def is_inside(workspace: str, path: str) -> bool:
    """Whether ``path`` lies strictly below ``workspace`` once both are normalised."""
    root_protocol, root = _split(workspace)
    protocol, rest = _split(path)
    if protocol != root_protocol:
        return False
    if protocol is None:
        root, rest = os.path.abspath(root), os.path.abspath(rest)
        sep = os.sep
    else:
        root, rest = posixpath.normpath("/" + root), posixpath.normpath("/" + rest)
        sep = "/"
    return rest.startswith(root.rstrip(sep) + sep) and rest != root


def _split(path: str) -> tuple[str | None, str]:
    """(protocol, rest) of a URL; (None, path) of a local path (``file://`` included)."""
    protocol, found, rest = path.partition("://")
    if not found or "/" in protocol:
        return None, path
    if protocol in ("file", "local"):
        return None, rest
    return protocol, rest
