"""The worker side of the ``s3`` scenario (:mod:`benchmarks.s3_requests`): one step of one
implementation in this process, ``python -m benchmarks.s3_worker SPEC.json RESULT.json``, in
either interpreter. Only the standard library is imported at the top; the implementation under
test inside :func:`work`, which sends the start marker to the server just before ``build()``.

The spec names ``impl`` (``core`` or ``gokart``), ``step`` (one of :data:`STEPS`), ``n`` (tasks,
the root included), ``endpoint`` (of the moto server), ``start_marker`` and ``workdir``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
import urllib.error
import urllib.request
from typing import Any

from benchmarks.worker_protocol import serve
from benchmarks.worker_tasks import configure, package

BUCKET = "gokart-bench"
STEPS = ("build", "noop", "rebuild")
#: moto accepts any credentials; never a developer's real ones (~/.aws is ignored).
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}
#: Distributions whose versions the results name, from each interpreter.
VERSIONS = ("gokart-core", "gokart-s3", "s3fs", "aiobotocore", "gokart", "boto3", "botocore")


def marker(endpoint: str, name: str) -> None:
    """A request the log shows by name (404: no such bucket)."""
    request = urllib.request.Request(f"{endpoint}/{name}", method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=10):
            pass
    except urllib.error.HTTPError:
        pass


def work(spec: dict[str, Any]) -> dict[str, Any]:
    """One step of one implementation, in this process."""
    import importlib.metadata

    import luigi

    impl, n, step, endpoint = spec["impl"], spec["n"], spec["step"], spec["endpoint"]
    configure(
        # a folder per implementation of the runner (gokart-core and its earlier tree both
        # run as "core")
        ("TaskOnKart", "workspace_directory", f"s3://{BUCKET}/{spec.get('folder', impl)}"),
        ("gokart_s3", "endpoint_url", endpoint),  # gokart-core; gokart: $AWS_ENDPOINT_URL
    )
    if impl not in ("core", "gokart"):
        raise ValueError(f"the s3 scenario runs gokart-core or gokart, not {impl!r}")
    kart = package(impl)

    class S3Leaf(kart.TaskOnKart):  # type: ignore[misc, name-defined]
        i = luigi.IntParameter()

        def output(self) -> Any:
            return self.make_target(f"leaf/leaf_{self.i}.pkl")

        def run(self) -> None:
            self.dump(self.i)

    class S3Root(kart.TaskOnKart):  # type: ignore[misc, name-defined]
        n = luigi.IntParameter()

        def requires(self) -> Any:
            return [S3Leaf(i=i) for i in range(self.n)]

        def output(self) -> Any:
            return self.make_target("root.pkl")

        def run(self) -> None:
            self.dump(self.n)  # no loads: existence checks and the root's writes are counted

    root = S3Root(n=n - 1)
    if step == "rebuild":
        root.output().remove()
    marker(endpoint, spec["start_marker"])
    start = time.perf_counter()
    value = kart.build(root, reset_register=False, log_level=logging.ERROR)
    seconds = time.perf_counter() - start
    if value != n - 1:
        raise AssertionError(f"the root built {value!r}")
    versions = {}
    for dist in VERSIONS:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions[dist] = importlib.metadata.version(dist)
    return {"seconds": seconds, "versions": versions}


def main(argv: list[str]) -> int:
    return serve(work, argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
