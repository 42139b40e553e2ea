"""gokart's ``assert_frame_contents_equal``: DataFrames equal whatever the order of their rows
and columns."""

from __future__ import annotations

from typing import Any

import pandas as pd


def assert_frame_contents_equal(
    actual: pd.DataFrame, expected: pd.DataFrame, **kwargs: Any
) -> None:
    """``pandas.testing.assert_frame_equal`` after putting ``expected``'s rows and columns in
    ``actual``'s order; both must be DataFrames with unique index and column labels (otherwise
    the order could not be matched). ``kwargs`` go to ``assert_frame_equal``."""
    for name, frame in (("actual", actual), ("expected", expected)):
        if not isinstance(frame, pd.DataFrame):
            raise AssertionError(f"{name} is not a DataFrame: {type(frame).__name__}")
        if not frame.index.is_unique:
            raise AssertionError(f"{name} index is not unique")
        if not frame.columns.is_unique:
            raise AssertionError(f"{name} columns are not unique")
    if set(actual.columns) != set(expected.columns):
        only_one = sorted(map(str, set(actual.columns) ^ set(expected.columns)))
        raise AssertionError(f"columns are not equal: {only_one} are in one only")
    if set(actual.index) != set(expected.index):
        raise AssertionError("indexes are not equal")
    pd.testing.assert_frame_equal(actual, expected.reindex(actual.index)[actual.columns], **kwargs)


__all__ = ["assert_frame_contents_equal"]
