"""Property-based fuzzing of every registered format (issue 18), with hypothesis:

- random bytes, and valid files cut at a random point, in place of a file either load (some
  bytes are a valid file: any bytes are a ``.png`` to gokart-binary) or raise ``LoadError``
  naming the path: never another exception, a hang (a deadline per input) or a crash;
- random objects that a format accepts round trip exactly.

``GOKART_FUZZ_EXAMPLES`` inputs per format (1,000 by default, as in CI; ``nox -s fuzz`` tries
20,000): half of them random bytes, a quarter round trips, a quarter truncated files; all of
them random bytes for a format without a round-trip strategy here (json, ndjson, xml, yaml). The
numbers tried are printed in pytest's summary at the end of the run.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from hypothesis.extra import pandas as hpd

import gokart_core as gokart
from gokart_core.plugin.manager import Plugins, get_plugins, make_plugin_manager, use_plugin_manager

EXAMPLES = int(os.environ.get("GOKART_FUZZ_EXAMPLES", "1000"))


def _fuzz(share: float) -> settings:
    return settings(
        max_examples=max(1, int(EXAMPLES * share)),
        deadline=5000,  # ms per input: a parser that hangs fails here instead of hanging CI
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,  # nothing written outside the test's folders
    )


#: inputs tried: (property, extension) -> count
TRIED: Counter[tuple[str, str]] = Counter()


def _save(obj: Any, path: str) -> None:
    with open(path, "wb") as fp:
        pickle.dump(obj, fp)


def _load(path: str) -> Any:
    with open(path, "rb") as fp:
        return pickle.load(fp)


#: How a file of each format is opened: (file name, make_target keyword arguments).
def _target_kwargs(name: str) -> tuple[str, dict[str, Any]]:
    if name == "model-zip":
        return "x.zip", {
            "format": "model-zip",
            "format_options": {"save_function": _save, "load_function": _load},
        }
    if name == "large-data-frame":
        return "x.zip", {"format": "large-data-frame"}
    registry = get_plugins().formats
    ext = next(e for e in registry.extensions if registry.entry_for_path(f"x{e}").name == name)
    return f"x{ext}", {}


FORMATS = sorted(get_plugins().formats.names)


@pytest.fixture(autouse=True)
def plugins() -> Iterator[Plugins]:
    """Every installed plugin (conftest's default is core's builtins and gokart-pickle)."""
    with use_plugin_manager(make_plugin_manager()) as p:
        yield p


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="gokart-fuzz-") as name:
        yield Path(name)


def _load_or_load_error(path: Path, kwargs: dict[str, Any]) -> str:
    """'loaded' or 'LoadError'; any other exception propagates and fails the property."""
    try:
        gokart.make_target(str(path), **kwargs).load()
    except gokart.LoadError as exc:
        assert str(path) in str(exc), f"the error does not name the file: {exc}"
        return "LoadError"
    return "loaded"


@pytest.mark.parametrize("name", FORMATS)
def test_random_bytes_load_or_raise_load_error(folder: Path, name: str) -> None:
    file_name, kwargs = _target_kwargs(name)
    path = folder / f"random-{name}" / file_name
    path.parent.mkdir(exist_ok=True)

    # every input random bytes for a format without a round-trip strategy here
    @_fuzz(0.5 if name in ROUND_TRIPS else 1.0)
    @given(data=st.binary(max_size=4096))
    def check(data: bytes) -> None:
        path.write_bytes(data)
        _load_or_load_error(path, kwargs)
        TRIED["random bytes", name] += 1

    check()


# --- objects each format accepts, for the round trips and for the truncated files ---------

#: Words that pandas' csv reader takes for a missing value (as gokart's does): csv cannot
#: hold them as text.
_CSV_MISSING = {"NA", "NULL", "NaN", "None", "nan", "null"}
_WORDS = st.text(alphabet=st.characters(categories=["L"]), min_size=1, max_size=12).filter(
    lambda w: w not in _CSV_MISSING
)
_PICKLABLE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text()
    | st.binary(),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner, max_size=5)
    ),
    max_leaves=20,
)


#: A list of lines (gokart's text formats), none holding a line break; surrogates are no
#: text (refused at the dump).
_LINES = st.lists(st.text(st.characters(exclude_characters="\r\n", exclude_categories=["Cs"])))


def _frames(text_ok: bool) -> st.SearchStrategy[pd.DataFrame]:
    columns = [
        hpd.column("i", dtype=np.int64),
        hpd.column("f", elements=st.floats(allow_nan=False, allow_infinity=False, width=64)),
    ]
    if text_ok:
        # every cell drawn (no fill): a column of only missing values is no text column
        columns.append(hpd.column("s", elements=_WORDS, dtype=object, fill=st.nothing()))
    frames = hpd.data_frames(columns, index=hpd.range_indexes(min_size=1, max_size=30))
    if not text_ok:
        return frames
    # text columns as pandas makes them from Python strings (``str``; object before pandas 3)
    text_dtype = pd.DataFrame({"s": ["x"]})["s"].dtype
    return frames.map(lambda df: df.astype({"s": text_dtype}))


def _same_frame(loaded: Any, original: Any) -> None:
    pd.testing.assert_frame_equal(loaded, original, check_dtype=True)


def _same_array(loaded: Any, original: Any) -> None:
    np.testing.assert_array_equal(loaded, original)
    assert loaded.dtype == original.dtype and loaded.shape == original.shape


def _same(loaded: Any, original: Any) -> None:
    assert loaded == original


#: format -> (strategy of accepted objects, how equality is checked)
ROUND_TRIPS: dict[str, tuple[st.SearchStrategy[Any], Callable[[Any, Any], None]]] = {
    "pickle": (_PICKLABLE, _same),
    # a list of lines (gokart's text format), none holding a line break
    # (surrogates are no text: refused at the dump)
    "text": (
        st.lists(st.text(st.characters(exclude_characters="\r\n", exclude_categories=["Cs"]))),
        _same,
    ),
    "gz": (_LINES, _same),
    "binary": (st.binary(max_size=4096), _same),
    "npz": (
        hnp.arrays(
            st.sampled_from([np.int64, np.float64, np.uint8, np.bool_]),
            hnp.array_shapes(max_dims=3, max_side=8),
        ),
        _same_array,
    ),
    "parquet": (_frames(text_ok=True), _same_frame),
    "feather": (_frames(text_ok=True), _same_frame),
    "csv": (_frames(text_ok=True), _same_frame),
    "tsv": (_frames(text_ok=True), _same_frame),
    "large-data-frame": (_frames(text_ok=True), _same_frame),
    "model-zip": (_PICKLABLE, _same),
}


@pytest.mark.parametrize("name", sorted(ROUND_TRIPS))
def test_accepted_objects_round_trip_exactly(folder: Path, name: str) -> None:
    strategy, same = ROUND_TRIPS[name]
    file_name, kwargs = _target_kwargs(name)
    path = folder / f"trip-{name}" / file_name

    @_fuzz(0.25)
    @given(obj=strategy)
    def check(obj: Any) -> None:
        target = gokart.make_target(str(path), **kwargs)
        target.dump(obj)
        same(target.load(), obj)
        TRIED["round trip", name] += 1

    check()


@pytest.mark.parametrize("name", sorted(ROUND_TRIPS))
def test_truncated_files_load_or_raise_load_error(folder: Path, name: str) -> None:
    strategy, _ = ROUND_TRIPS[name]
    file_name, kwargs = _target_kwargs(name)
    path = folder / f"cut-{name}" / file_name

    @_fuzz(0.25)
    @given(obj=strategy, cut=st.floats(min_value=0, max_value=1, exclude_max=True))
    def check(obj: Any, cut: float) -> None:
        target = gokart.make_target(str(path), **kwargs)
        target.dump(obj)
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * cut)])
        _load_or_load_error(path, kwargs)
        TRIED["truncated", name] += 1

    check()
