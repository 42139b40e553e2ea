"""Fresh virtualenvs for the packaging tests: what a user's ``pip install`` gives, and nothing of
the test session's own environment; and the code blocks of a Markdown page."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Variables of the test run that must not reach a fresh virtualenv's processes.
_NOT_INHERITED = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSAFEPATH")

_FENCE = re.compile(
    r"^(?P<fence>```+)(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$", re.S | re.M
)


def code_blocks(markdown: str) -> list[tuple[str, str]]:
    """``(info string, body)`` of each fenced code block, in order."""
    return [(m["info"].strip(), m["body"]) for m in _FENCE.finditer(markdown)]


def clean_environment() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in _NOT_INHERITED and not k.startswith("GOKART_CORE_")
    }
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


@dataclass(frozen=True)
class Venv:
    """A virtualenv made by ``python -m venv``."""

    path: Path

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    def run(
        self, *args: str | Path, cwd: Path, check: bool = True, timeout: float = 900
    ) -> subprocess.CompletedProcess[str]:
        """Run the virtualenv's python; with ``check``, a failure shows what it printed."""
        result = subprocess.run(
            [str(self.python), *map(str, args)],
            cwd=cwd,
            env=clean_environment(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{args} exited with {result.returncode}\n--- stdout\n{result.stdout}"
                f"\n--- stderr\n{result.stderr}"
            )
        return result

    def pip_install(self, *requirements: str | Path, cwd: Path) -> None:
        self.run("-m", "pip", "install", "--quiet", *requirements, cwd=cwd)


def make_venv(path: Path) -> Venv:
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, env=clean_environment())
    return Venv(path)
