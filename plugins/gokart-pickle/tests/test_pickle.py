from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import dill
import pytest

import gokart_core as gokart
import gokart_pickle
from gokart_core.plugin.manager import use_plugin_manager
from gokart_core.testing import FormatConformance, builtins_only_plugin_manager


class Point:
    def __init__(self, x: int, y: int) -> None:
        self.x, self.y = x, y

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Point) and (other.x, other.y) == (self.x, self.y)


class TestPickleConformance(FormatConformance):
    plugin = gokart_pickle
    extension = ".pkl"
    samples = [  # noqa: RUF012 - the base class declares it a ClassVar
        [1, 2, 3],
        {"nested": {"a": (1, 2.5, None)}, "bytes": b"\x00" * 100_000},
        Point(1, 2),
    ]
    unsupported = (x for x in range(3))  # a generator: neither pickle nor dill saves it


@pytest.fixture(autouse=True)
def _pickle_only() -> Any:
    with use_plugin_manager(builtins_only_plugin_manager(gokart_pickle)):
        yield


def test_reads_what_gokart_wrote_with_dill_protocol_4(tmp_path: Path) -> None:
    """gokart dumps ``dill.dumps(obj, protocol=4)``; a lambda makes dill write by value."""
    import pandas as pd

    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    obj = {"frame": frame, "fn": lambda v: v * 3, "point": Point(3, 4)}
    path = tmp_path / "gokart_written.pkl"
    path.write_bytes(dill.dumps(obj, protocol=4))
    loaded = gokart.make_target(str(path)).load()
    pd.testing.assert_frame_equal(loaded["frame"], frame)
    assert loaded["fn"](2) == 6
    assert loaded["point"] == Point(3, 4)


def test_lambdas_and_local_classes_are_pickled_by_value_with_dill(tmp_path: Path) -> None:
    class Local:
        value = 7

    target = gokart.make_target(str(tmp_path / "fn.pkl"))
    target.dump({"fn": lambda v: v + 1, "cls": Local})
    loaded = target.load()
    assert loaded["fn"](1) == 2
    assert loaded["cls"].value == 7


def test_plain_objects_are_plain_pickles_readable_without_gokart(tmp_path: Path) -> None:
    target = gokart.make_target(str(tmp_path / "x.pkl"))
    target.dump({"a": [1, 2]})
    with open(target.path(), "rb") as fp:
        assert pickle.load(fp) == {"a": [1, 2]}
    assert b"dill" not in (tmp_path / "x.pkl").read_bytes()


def test_main_module_functions_survive_a_new_process(tmp_path: Path) -> None:
    """A function defined in a script's ``__main__`` loads in another process (dill by value)."""
    script = textwrap.dedent(
        f"""
        import gokart_core as gokart
        def triple(v):
            return v * 3
        gokart.make_target({str(tmp_path / "main_fn.pkl")!r}).dump(triple)
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True)
    loaded = gokart.make_target(str(tmp_path / "main_fn.pkl")).load()
    assert loaded(5) == 15


def test_pickle_written_by_the_plugin_loads_with_gokart_s_loader(tmp_path: Path) -> None:
    """What gokart would do with our file: ``pickle.load`` (gokart 1.12's loader)."""
    import numpy as np

    target = gokart.make_target(str(tmp_path / "arr.pkl"))
    array = np.arange(1_000_000, dtype="float64")
    target.dump(array)
    with open(target.path(), "rb") as fp:
        np.testing.assert_array_equal(pickle.load(fp), array)


def test_objects_only_dill_can_save_are_written_with_dill(tmp_path: Path) -> None:
    """gokart used dill for everything; an object holding a lock still dumps."""
    target = gokart.make_target(str(tmp_path / "lock.pkl"))
    target.dump({"lock": threading.Lock(), "n": 1})
    loaded = target.load()
    assert loaded["n"] == 1 and loaded["lock"].acquire(blocking=False)
