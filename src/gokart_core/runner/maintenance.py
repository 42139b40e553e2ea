"""``gokart-core``, the console script of the maintenance commands: ``clean``
(:mod:`.clean`) and ``report`` (:mod:`.report_command`). Also ``python -m
gokart_core.runner.maintenance``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from gokart_core.runner import clean, report_command

#: Each command's module: ``add_parser(commands)`` adds its subcommand, ``main(args)`` runs it.
COMMANDS = {"clean": clean, "report": report_command}


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="gokart-core", description="gokart-core's maintenance commands."
    )
    commands = top.add_subparsers(dest="command", required=True)
    for command in COMMANDS.values():
        command.add_parser(commands)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    code: int = COMMANDS[args.command].main(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
