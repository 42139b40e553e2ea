"""gokart 1.12's documentation pages, one test module each (``test_<page>.py``), run as a gokart
user would with ``import gokart_core as gokart``: the examples' shapes, written anew here, and
the results the page documents.

:func:`run_script` runs an example as the page does, ``python main.py Task --local-scheduler``:
the script is written to a folder of its own and run there by this interpreter, on the source
trees, with a luigi config of that folder only.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "src", *sorted((ROOT / "plugins").glob("*/src"))]


def run_script(
    folder: Path,
    source: str,
    *args: str,
    name: str | None = "main.py",
    config: str = "",
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Write ``source`` (dedented) to ``folder/name`` and run ``python name *args`` in
    ``folder`` (``name=None``: ``python *args``, no script); ``config`` is the luigi config it
    reads (``LUIGI_CONFIG_PATH``)."""
    folder.mkdir(parents=True, exist_ok=True)
    if name is not None:
        (folder / name).write_text(textwrap.dedent(source))
    (folder / "luigi.cfg").write_text(textwrap.dedent(config))
    python_path = [str(p) for p in SOURCES]
    if os.environ.get("PYTHONPATH"):
        python_path.append(os.environ["PYTHONPATH"])
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(folder),
        "PYTHONPATH": os.pathsep.join(python_path),
        "LUIGI_CONFIG_PATH": str(folder / "luigi.cfg"),
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, *([] if name is None else [name]), *args],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def files_under(root: Path) -> list[str]:
    """The files below ``root``, relative to it, sorted."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
