"""The worker end of a measurement process, ``python -m benchmarks.MODULE SPEC.json RESULT.json``
(:meth:`benchmarks.runner.Runner.run` starts them): :func:`serve` reads the spec, changes into
its ``workdir``, runs the measurement and writes its result as JSON, a failure being a result
too (``ok`` false, the error's type and message and the root cause's type). The standard
library only: a worker runs in gokart's virtualenv as well, which has no gokart-core."""

from __future__ import annotations

import json
import os
import traceback
from collections.abc import Callable, Sequence
from typing import Any


def serve(work: Callable[[dict[str, Any]], dict[str, Any]], argv: Sequence[str]) -> int:
    """``work(spec)`` in the spec's workdir; its result (or the failure) into the result file."""
    spec_path, result_path = argv
    with open(spec_path) as fp:
        spec = json.load(fp)
    os.makedirs(spec["workdir"], exist_ok=True)
    os.chdir(spec["workdir"])
    try:
        result = work(spec)
        result["ok"] = True
    except BaseException as exc:  # a failure is a result too (gokart's deep chain)
        result = failure(exc)
    with open(result_path, "w") as fp:
        json.dump(result, fp)
    return 0


def failure(exc: BaseException) -> dict[str, Any]:
    """The result of a measurement that raised ``exc``."""
    lines = traceback.format_exception_only(type(exc), exc)
    message = lines[-1].strip() if lines else type(exc).__name__
    result: dict[str, Any] = {"ok": False, "error": type(exc).__name__, "message": message[:400]}
    cause: BaseException | None = exc
    while cause is not None:  # name the root cause too (GokartBuildError wraps it)
        result["root_error"] = type(cause).__name__
        cause = cause.__cause__ or cause.__context__
    return result
