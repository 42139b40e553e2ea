"""Parameter types that gokart tasks use."""

from __future__ import annotations

from typing import Any

import luigi


class ExplicitBoolParameter(luigi.BoolParameter):
    """A bool parameter that takes an explicit value on the command line: ``--flag true``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["parsing"] = luigi.BoolParameter.EXPLICIT_PARSING
        super().__init__(*args, **kwargs)


__all__ = ["ExplicitBoolParameter"]
