"""Processes of the benchmarks: :class:`Runner` starts every measurement in a fresh process of
the implementation's interpreter (``python -m MODULE SPEC.json RESULT.json``, see
:mod:`benchmarks.worker_protocol`) and logs a line for it; :func:`ensure_gokart_venv` makes the
virtualenv of the PyPI ``gokart`` package, so that gokart and gokart-core never share a process.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GOKART_REQUIREMENT = "gokart==1.12.2"
#: boto3 is gokart's ``s3`` extra: the s3 scenario's S3 targets.
GOKART_VENV_PACKAGES = [GOKART_REQUIREMENT, "pandas", "pyarrow", "boto3"]
#: Where the variables that slow a current numpy are set (see the environment notes), the
#: benchmark processes run without them; tests and CI keep them.
DROPPED_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")

LABELS = {
    "pandas": "raw pandas",
    "pandas-gk": "raw pandas (gokart venv)",
    "core": "gokart-core",
    "gokart": "gokart 1.12.2",
    "luigi": "bare luigi",
    "core-before": "gokart-core before",
}
#: Packages of gokart-core's earlier tree's virtualenv (``--core-before``), at the versions of
#: this interpreter's: only gokart-core differs between the two.
CORE_BEFORE_PACKAGES = (
    *("luigi", "pandas", "pyarrow", "numpy", "threadpoolctl", "pyinstrument"),
    *("fsspec", "s3fs", "aiobotocore", "botocore", "boto3"),  # the s3 scenario's
)


@dataclass
class Runner:
    """Starts workers: one process per measurement, in the interpreter of the implementation."""

    pythons: dict[str, str]
    workroot: Path
    timeout: float
    log: list[str] = field(default_factory=list)
    _count: int = 0

    def interpreter(self, impl: str) -> tuple[str, str]:
        """(python, worker impl) of an implementation label."""
        if impl == "pandas-gk":
            return self.pythons["gokart"], "pandas"
        if impl == "gokart":
            return self.pythons["gokart"], "gokart"
        if impl == "core-before":
            return self.pythons["core-before"], "core"
        return self.pythons["core"], impl

    def new_workdir(self) -> Path:
        self._count += 1
        path = self.workroot / f"job{self._count:04d}"
        path.mkdir(parents=True)
        return path

    def run(
        self,
        impl: str,
        spec: dict[str, Any],
        workdir: Path | None = None,
        module: str = "benchmarks.worker",
        env: dict[str, str] | None = None,
        quiet: bool = False,
    ) -> dict[str, Any]:
        """One process of ``module`` (``SPEC RESULT`` arguments), ``env`` added to its
        environment: the worker's result, with ``process_s`` (the whole process's wall time).
        Without ``workdir`` the process gets a fresh one, removed after. Its line (the spec,
        the time or the error) goes to the log, unless ``quiet``: the caller writes its own."""
        python, worker_impl = self.interpreter(impl)
        own = workdir is None
        wd = self.new_workdir() if workdir is None else workdir
        spec = {**spec, "impl": worker_impl, "workdir": str(wd)}
        fd, spec_path = tempfile.mkstemp(suffix=".json", dir=self.workroot)
        with os.fdopen(fd, "w") as fp:
            json.dump(spec, fp)
        result_path = spec_path[: -len(".json")] + ".result.json"
        env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV} | (env or {})
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        )
        env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
        start = time.perf_counter()
        try:
            proc = subprocess.run(
                [python, "-m", module, spec_path, result_path],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=self.timeout,
            )
            process_s = time.perf_counter() - start
            if os.path.exists(result_path):
                with open(result_path) as fp:
                    result: dict[str, Any] = json.load(fp)
            else:
                tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
                result = {
                    "ok": False,
                    "error": f"exit {proc.returncode}",
                    "message": " ".join(tail),
                }
        except subprocess.TimeoutExpired:
            process_s = time.perf_counter() - start
            result = {"ok": False, "error": "timeout", "message": f"over {self.timeout:.0f} s"}
        finally:
            for path in (spec_path, result_path):
                if os.path.exists(path):
                    os.remove(path)
            if own:
                shutil.rmtree(wd, ignore_errors=True)
        result["process_s"] = process_s
        if not quiet:
            what = " ".join(f"{k}={v}" for k, v in spec.items() if k not in ("impl", "workdir"))
            status = (
                f"{result.get('seconds', 0):.3f} s"
                if result.get("ok")
                else f"{result.get('error')}: {str(result.get('message', ''))[:120]}"
            )
            self.note(f"[{LABELS[impl]:>24}] {what}: {status} (process {process_s:.2f} s)")
        return result

    def note(self, line: str) -> None:
        """A line of progress: on stderr now, and in :attr:`log`."""
        print(line, file=sys.stderr, flush=True)
        self.log.append(line)


def _gokart_version(python: str) -> str | None:
    code = "import importlib.metadata as m; print(m.version('gokart'))"
    proc = subprocess.run([python, "-c", code], capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else None


def ensure_gokart_venv(venv: Path) -> str:
    """A virtualenv with gokart 1.12.2, pandas and pyarrow (made once, then reused)."""
    python = venv / "bin" / "python"
    if python.exists() and _gokart_version(str(python)) == GOKART_REQUIREMENT.split("==")[1]:
        return str(python)
    print(f"making gokart's virtualenv in {venv}", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", *GOKART_VENV_PACKAGES], check=True
    )
    return str(python)


def ensure_core_before_venv(rev: str, venv: Path) -> tuple[str, str]:
    """(python, commit): a virtualenv with gokart-core and its plugins as they were at the git
    revision ``rev`` of this checkout (made once per commit, then reused), the other packages at
    this interpreter's versions."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", f"{rev}^{{commit}}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    python, marker = venv / "bin" / "python", venv / "gokart-core-commit"
    if python.exists() and marker.exists() and marker.read_text() == commit:
        return str(python), commit
    print(f"making gokart-core {commit}'s virtualenv in {venv}", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="gokart-core-before-") as tree:
        archive = subprocess.run(
            ["git", "archive", "--format=tar", commit], cwd=ROOT, capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", tree], input=archive.stdout, check=True)
        plugins = sorted(
            str(d) for d in Path(tree, "plugins").iterdir() if (d / "pyproject.toml").exists()
        )
        pins = [
            f"{name}=={version}" for name in CORE_BEFORE_PACKAGES if (version := _version(name))
        ]
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", tree, *plugins, *pins], check=True
        )
    marker.write_text(commit)
    return str(python), commit


def _version(name: str) -> str | None:
    import importlib.metadata

    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None
