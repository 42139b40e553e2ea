"""The command line of ``python -m benchmarks``: every option, the defaults of a full run and of
``--quick`` (tiny sizes, one repeat), and the checks of the formats and scenarios named. The
parallel and scaling scenarios' own options are :func:`benchmarks.parallel.add_arguments` and
:func:`benchmarks.scaling.add_arguments`."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from benchmarks import parallel, scaling
from benchmarks.runner import ROOT

HERE = ROOT / "benchmarks"
FORMATS = ("pkl", "csv", "parquet", "feather")
SCENARIOS = (
    "frame",
    "chain",
    "fanin",
    "uid",
    "deep",
    "lock",
    "s3",
    "parallel",
    "scaling",
    "report",
)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="gokart-core against raw pandas, bare luigi and gokart 1.12.2 (issue 8).",
    )
    p.add_argument("--rows", type=int, help="DataFrame rows (8 columns) [1,000,000]")
    p.add_argument("--chain", type=int, help="tasks in the chain build [500]")
    p.add_argument("--fanin", type=int, help="leaves of the fan-in build [1,000]")
    p.add_argument("--uid", type=int, help="task instances for unique_id [100,000]")
    p.add_argument("--deep", type=int, help="depth of the deep chain [1,000]")
    p.add_argument(
        "--lock",
        type=int,
        help="tasks (leaves + the root) of the fan-in built with and without the redis lock [200]",
    )
    p.add_argument(
        "--s3-tasks",
        type=int,
        help="tasks (leaves + the root) of the graph whose S3 requests are counted [500]",
    )
    p.add_argument(
        "--report-tasks", type=int, help="tasks of the fan-in whose run report is opened [1,000]"
    )
    parallel.add_arguments(p)
    scaling.add_arguments(p)
    p.add_argument("--repeats", type=int, help="repeats of each scenario [3]")
    p.add_argument(
        "--frame-cycles", type=int, help="dump + load round trips per DataFrame process [3]"
    )
    p.add_argument(
        "--frame-seconds",
        type=float,
        help="more round trips, up to 15, while they take less than this [1.5]",
    )
    p.add_argument("--uid-repeats", type=int, help="repeats of the unique_id scenario [--repeats]")
    p.add_argument(
        "--frame-repeats", type=int, help="repeats of the DataFrame round trips [--repeats + 2]"
    )
    p.add_argument(
        "--chain-recursion-limit",
        type=int,
        default=10_000,
        help="recursion limit of the chain build (gokart needs more than the default for 500 "
        "tasks); the deep chain always runs at the default limit [10000]",
    )
    p.add_argument("--formats", default=",".join(FORMATS), help="DataFrame formats [%(default)s]")
    p.add_argument(
        "--scenarios", default=",".join(SCENARIOS), help="scenarios to run [%(default)s]"
    )
    p.add_argument("--quick", action="store_true", help="tiny sizes, one repeat: a smoke run")
    p.add_argument(
        "--only-gokart-core",
        action="store_true",
        help="skip gokart (no virtualenv, no network): gokart-core, raw pandas and bare luigi",
    )
    p.add_argument(
        "--core-before",
        metavar="REV",
        help="also measure gokart-core as it was at the git revision REV of this checkout (in "
        "a virtualenv of its own under --gokart-venv's folder): results.md then compares every "
        "row of gokart-core with it, in this one run (issue 13)",
    )
    p.add_argument("--gokart-python", help="python of a virtualenv that has gokart 1.12.2")
    p.add_argument(
        "--gokart-venv",
        default=str(ROOT / ".nox" / "bench-gokart"),
        help="where to make gokart's virtualenv when --gokart-python is not given [%(default)s]",
    )
    p.add_argument("--workdir", help="folder for the files written [/dev/shm if there]")
    p.add_argument("--output", help="Markdown results [benchmarks/results.md; quick: stdout only]")
    p.add_argument("--profile", dest="profile", action="store_true", default=None)
    p.add_argument(
        "--no-profile", dest="profile", action="store_false", help="skip the pyinstrument profile"
    )
    p.add_argument("--profile-output", help="profile text [benchmarks/profile.txt]")
    p.add_argument(
        "--no-bisect",
        action="store_true",
        help="do not search the deepest chain that builds when the deep chain fails",
    )
    p.add_argument("--timeout", type=float, default=900.0, help="seconds per process [900]")
    args = p.parse_args(argv)
    _set_defaults(args)
    args.formats = [f for f in args.formats.split(",") if f]
    args.scenarios = [s for s in args.scenarios.split(",") if s]
    for f in args.formats:
        if f not in FORMATS:
            p.error(f"unknown format {f!r}; known: {', '.join(FORMATS)}")
    for s in args.scenarios:
        if s not in SCENARIOS:
            p.error(f"unknown scenario {s!r}; known: {', '.join(SCENARIOS)}")
    if args.quick:
        args.no_bisect = True
    if "lock" in args.scenarios and args.lock < 2:
        p.error("--lock needs at least 2 tasks (a leaf and the root)")
    why = scaling.check(args)
    if why:
        p.error(why)
    return args


def _set_defaults(args: argparse.Namespace) -> None:
    """The sizes and paths not given: a full run's, or ``--quick``'s (``--scenarios`` is still
    the text of the option here)."""
    quick = args.quick
    defaults = {
        "rows": 20_000 if quick else 1_000_000,
        "chain": 20 if quick else 500,
        "fanin": 30 if quick else 1_000,
        "uid": 1_000 if quick else 100_000,
        "deep": 150 if quick else 1_000,
        "lock": 30 if quick else 200,
        "s3_tasks": 30 if quick else 500,
        "report_tasks": 100 if quick else 1_000,
        "repeats": 1 if quick else 3,
    }
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.uid_repeats is None:
        args.uid_repeats = args.repeats
    if args.frame_cycles is None:
        args.frame_cycles = 1 if quick else 3
    if args.frame_seconds is None:
        args.frame_seconds = 0.0 if quick else 1.5
    if args.frame_repeats is None:
        args.frame_repeats = args.repeats if quick else args.repeats + 2
    parallel.set_defaults(args)
    scaling.set_defaults(args)
    if args.profile is None:  # the profiles are of the fan-in, unique_id and lock paths
        args.profile = not quick and bool({"fanin", "uid", "lock"} & set(args.scenarios))
    if args.output is None and not quick:
        args.output = str(HERE / "results.md")
    if args.profile_output is None:
        args.profile_output = str(HERE / "profile.txt")
