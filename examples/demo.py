"""An example pipeline, end to end on a local workspace: ``nox -s demo``.

It builds a small word count twice: the first build runs every task, the second finds every
output cached under its unique id and runs nothing; a changed parameter reruns only the tasks
that depend on it.
"""

from __future__ import annotations

import argparse
import collections
from typing import Any

import luigi

import gokart_core as gokart

CORPUS = [
    "gokart is a wrapper of the data pipeline library luigi",
    "every output is cached under a hash of the task parameters",
    "a changed parameter recomputes only what depends on it",
]

RUNS: collections.Counter[str] = collections.Counter()


class LoadCorpus(gokart.TaskOnKart[list[str]]):
    def output(self) -> Any:
        return self.make_target("demo/corpus.pkl")

    def run(self) -> None:
        RUNS["LoadCorpus"] += 1
        self.dump(CORPUS)


class CountWords(gokart.TaskOnKart[dict[str, int]]):
    min_length: int = luigi.IntParameter(default=3)

    def requires(self) -> Any:
        return LoadCorpus(workspace_directory=self.workspace_directory)

    def output(self) -> Any:
        return self.make_target("demo/word_count.pkl")

    def run(self) -> None:
        RUNS["CountWords"] += 1
        words = (w for line in self.load() for w in line.split() if len(w) >= self.min_length)
        self.dump(dict(collections.Counter(words)))


class Report(gokart.TaskOnKart[list[str]]):
    min_length: int = luigi.IntParameter(default=3)
    top: int = luigi.IntParameter(default=3)

    def requires(self) -> Any:
        return {
            "counts": CountWords(
                min_length=self.min_length, workspace_directory=self.workspace_directory
            ),
            "corpus": LoadCorpus(workspace_directory=self.workspace_directory),
        }

    def output(self) -> Any:
        return self.make_target("demo/report.pkl")

    def run(self) -> None:
        RUNS["Report"] += 1
        counts = self.load("counts")
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: self.top]
        lines = [f"{len(self.load('corpus'))} lines"] + [f"{w}: {n}" for w, n in ranked]
        self.dump(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workspace", default="./resources/", help="a folder or fsspec URL")
    args = parser.parse_args()

    for min_length in (3, 3, 5):
        RUNS.clear()
        task = Report(min_length=min_length, workspace_directory=args.workspace)
        lines = gokart.build(task)
        ran = ", ".join(f"{name}" for name in RUNS) or "nothing (all cached)"
        print(f"min_length={min_length}: ran {ran}")
        print(f"  output {task.output().path()}")
        for line in lines:
            print(f"  {line}")
    print("demo finished")


if __name__ == "__main__":
    main()
