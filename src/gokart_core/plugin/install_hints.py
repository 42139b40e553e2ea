"""What to install for a missing plugin: its distribution, and how to get it from the repository
while the plugins are not on PyPI."""

from __future__ import annotations

import re

#: The git repository of gokart-core; each plugin is its folder ``plugins/<distribution>``.
#: A placeholder until the repository is published: change this one line.
REPOSITORY_URL = "https://github.com/<owner>/gokart-core"

#: The distributions that live in that repository and are not on PyPI yet.
REPOSITORY_PLUGINS = frozenset(
    {
        "gokart-binary",
        "gokart-filelock",
        "gokart-gcs",
        "gokart-numpy",
        "gokart-pandas",
        "gokart-pickle",
        "gokart-redis",
        "gokart-s3",
        "gokart-slack",
        "gokart-text",
        "gokart-xml",
        "gokart-zip",
    }
)

_REQUIREMENT = re.compile(r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?P<extras>\[[^\]]*\])?")


def pip_install(requirement: str) -> str:
    """The command that installs ``requirement`` (``"gokart-xml"``, ``"gokart-zip[pandas]"``).

    For a plugin of gokart-core's repository, also how to install it from there or from its
    wheel while it is not on PyPI; any other requirement is a plain ``pip install``.
    """
    requirement = requirement.strip().strip("'\"")
    match = _REQUIREMENT.fullmatch(requirement)
    quoted = f"'{requirement}'" if "[" in requirement else requirement
    if match is None or match["name"].lower() not in REPOSITORY_PLUGINS:
        return f"pip install {quoted}"
    name = match["name"].lower()
    return (
        f"pip install {quoted} (not on PyPI yet: pip install "
        f'"{requirement} @ git+{REPOSITORY_URL}#subdirectory=plugins/{name}", '
        "or its wheel from nox -s build)"
    )
