"""Mistyped uses of the API that mypy --strict must reject: checked by ``nox -s typecheck``, never
imported by pytest.

Every mistake below carries ``# type: ignore[code]``. With ``warn_unused_ignores`` (part of
``strict``), an ignore on a line that mypy accepts is itself an error, so the session fails as
soon as any of these lines type-checks: the typing of dump/load/build/parameters regressed.
The error code pins the reason each line is rejected.
"""

from __future__ import annotations

from collections.abc import Sequence

import luigi
import pandas as pd

import gokart_core as gokart


class Frame(gokart.TaskOnKart[pd.DataFrame]):
    rows: int = luigi.IntParameter(default=3)

    def run(self) -> None:
        self.dump("not a frame")  # type: ignore[call-overload]
        self.dump(pd.DataFrame({"x": range(self.rows)}))


class Count(gokart.TaskOnKart[int]):
    frame: Frame = gokart.TaskInstanceParameter(expected_type=Frame)
    frames: Sequence[Frame] = gokart.ListTaskInstanceParameter(expected_elements_type=Frame)

    def run(self) -> None:
        text: str = self.load(self.frame)  # type: ignore[assignment]
        texts: list[str] = self.load(self.frames)  # type: ignore[arg-type]
        frames: list[pd.DataFrame] = self.load(self.frames)
        self.dump(len(self.load(self.frame)) + len(frames) + len(text) + len(texts))
        self.dump(float(len(frames)))  # type: ignore[call-overload]


def mistyped_build() -> str:
    return gokart.build(Count(frame=Frame(), frames=[]))  # type: ignore[return-value]


def mistyped_parameters() -> None:
    Frame(rows="3")  # type: ignore[arg-type]
    Count(frame=Count())  # type: ignore[arg-type]
