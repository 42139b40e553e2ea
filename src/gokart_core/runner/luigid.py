"""``gokart-luigid``: luigid, luigi's central scheduler, with gokart-core's scheduler.

It takes luigid's options (``--port``, ``--address``, ``--state-path``, ``--background``,
``--pidfile``, ``--logdir``, ``--unix-socket``) and config (``[scheduler]``, ``[resources]``),
serves the same HTTP API and web pages, and workers on any host point at it exactly as at
luigid (``--scheduler-host``, ``--scheduler-port``). Only the cost of each request differs:
:class:`~gokart_core.runner.scheduler.Scheduler` keeps it flat as the graph grows.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from gokart_core.luigi_internals.scheduler import serve_luigid
from gokart_core.runner.scheduler import Scheduler


def main(argv: Sequence[str] | None = None) -> None:
    """The console script: ``gokart-luigid [luigid's options]``."""
    name = f"{Scheduler.__module__}.{Scheduler.__name__}"
    print(f"gokart-luigid: luigid with {name}", file=sys.stderr)
    serve_luigid(list(sys.argv[1:] if argv is None else argv), Scheduler)


if __name__ == "__main__":
    main()
