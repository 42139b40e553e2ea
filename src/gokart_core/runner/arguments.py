"""Command-line options shared by the maintenance commands (``clean``, ``report``)."""

from __future__ import annotations

import argparse
import json
from typing import Any


def json_object(text: str) -> dict[str, Any]:
    """A JSON object given on the command line; argparse shows the error with the option. The
    text itself is never shown: storage options may hold a secret key."""
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not JSON ({exc})") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(
            f'a JSON object is needed ({{"anon": true}}), not {type(value).__name__}'
        )
    return value


def add_storage_options(parser: argparse.ArgumentParser, help: str) -> None:
    """``--storage-options JSON``: filesystem options, as a task's ``storage_options``."""
    parser.add_argument(
        "--storage-options", type=json_object, default={}, metavar="JSON", help=help
    )
