"""Existence-check requests on S3: gokart-core against the PyPI gokart package, on the same moto
server, counted from the server's request log. gokart runs in a process of its own."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import luigi

import gokart_core as gokart

BUCKET = "gokart-test"  # conftest's
N = 100

# The same graph for both: N leaves and a root; ``rebuild`` removes the root's output first, so
# that the build asks every leaf's complete() (all complete) and runs the root again.
GRAPH = """
import luigi
import sys


class CompatLeaf({base}):
    i = luigi.IntParameter()

    def output(self):
        return self.make_target(f"leaf/leaf_{{self.i}}.pkl")

    def run(self):
        self.dump(self.i)


class CompatRoot({base}):
    n = luigi.IntParameter()

    def requires(self):
        return [CompatLeaf(i=i) for i in range(self.n)]

    def output(self):
        return self.make_target("root.pkl")

    def run(self):
        self.dump(self.n)  # no loads: only existence checks are counted
"""


def _existence_requests(s3: Any, since: int) -> list[tuple[str, str, int]]:
    """HEADs and listings: the requests that existence checks send (not loads and dumps)."""
    return [
        r
        for r in s3.requests()[since:]
        if r[0] == "HEAD" or (r[0] == "GET" and "list-type=2" in r[1])
    ]


def test_existence_checks_send_a_tenth_of_gokart_s_requests(
    s3: Any, luigi_config: Any, tmp_path: Path
) -> None:
    # gokart 1.12 in a process of its own.
    script = tmp_path / "gokart_graph.py"
    script.write_text(
        "import gokart\n"
        + GRAPH.format(base="gokart.TaskOnKart")
        + textwrap.dedent(
            f"""
            if __name__ == "__main__":
                root = CompatRoot(n={N})
                if sys.argv[1] == "rebuild":
                    root.output().remove()
                print(gokart.build(root))
            """
        )
    )
    config = tmp_path / "luigi.cfg"
    config.write_text(f"[TaskOnKart]\nworkspace_directory=s3://{BUCKET}/gokart\n")
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": s3.endpoint_url,
        "AWS_DEFAULT_REGION": "us-east-1",
        "LUIGI_CONFIG_PATH": str(config),
    }
    run = [sys.executable, str(script)]
    subprocess.run([*run, "build"], env=env, check=True, capture_output=True, cwd=tmp_path)
    before = len(s3.requests())
    done = subprocess.run(
        [*run, "rebuild"], env=env, check=True, capture_output=True, text=True, cwd=tmp_path
    )
    assert done.stdout.split()[-1] == str(N)
    gokart_requests = _existence_requests(s3, before)

    # gokart-core, here.
    namespace: dict[str, Any] = {"luigi": luigi, "gokart": gokart, "__name__": "compat_graph"}
    exec(GRAPH.format(base="gokart.TaskOnKart"), namespace)
    luigi_config.set("TaskOnKart", workspace_directory=f"s3://{BUCKET}/core")
    root = namespace["CompatRoot"](n=N)
    assert gokart.build(root) == N
    root.output().remove()
    before = len(s3.requests())
    assert gokart.build(root) == N
    core_requests = _existence_requests(s3, before)

    assert len(gokart_requests) >= 2 * N  # several HEADs a task
    assert len(core_requests) * 10 <= len(gokart_requests), (core_requests, len(gokart_requests))
    print(f"existence checks: gokart {len(gokart_requests)}, gokart-core {len(core_requests)}")
