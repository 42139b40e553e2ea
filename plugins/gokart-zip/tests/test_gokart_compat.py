"""Archives written by the PyPI ``gokart`` package (1.12) load in gokart-core, and the other way."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import gokart.target
import numpy as np
import pandas as pd

import gokart_core


def save(obj: Any, path: str) -> None:
    with open(path, "wb") as fp:
        pickle.dump(obj, fp)
    Path(path + ".extra").write_text("second file")


def load(path: str) -> Any:
    assert Path(path + ".extra").read_text() == "second file"
    with open(path, "rb") as fp:
        return pickle.load(fp)


def core_model(path: Path, tmp: Path) -> gokart_core.TargetOnKart:
    return gokart_core.make_target(
        str(path),
        format="model-zip",
        format_options={
            "save_function": save,
            "load_function": load,
            "local_temporary_directory": str(tmp),
        },
    )


def test_gokart_written_model_loads_in_gokart_core(tmp_path: Path) -> None:
    path = tmp_path / "by_gokart.zip"
    gokart.target.make_model_target(str(path), str(tmp_path / "g_tmp"), save, load).dump([1, 2])
    assert core_model(path, tmp_path / "tmp").load() == [1, 2]


def test_gokart_core_written_model_loads_in_gokart(tmp_path: Path) -> None:
    path = tmp_path / "by_core.zip"
    core_model(path, tmp_path / "tmp").dump({"a": 1})
    target = gokart.target.make_model_target(str(path), str(tmp_path / "g_tmp"), save, load)
    assert target.load() == {"a": 1}


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"v": np.arange(40), "s": [f"w{i}" for i in range(40)]})


def test_gokart_written_large_frame_loads_in_gokart_core_in_order(tmp_path: Path) -> None:
    path = tmp_path / "frame.zip"
    processor = gokart.target.LargeDataFrameProcessor(max_byte=64)
    gokart.target.make_model_target(
        str(path), str(tmp_path / "g_tmp"), processor.save, processor.load
    ).dump(_frame())
    loaded = gokart_core.make_target(str(path), format="large-data-frame").load()
    pd.testing.assert_frame_equal(loaded, _frame())


def test_gokart_core_written_large_frame_loads_in_gokart(tmp_path: Path) -> None:
    path = tmp_path / "frame.zip"
    target = gokart_core.make_target(
        str(path), format="large-data-frame", format_options={"max_byte": 256}
    )
    target.dump(_frame())
    processor = gokart.target.LargeDataFrameProcessor
    loaded = gokart.target.make_model_target(
        str(path), str(tmp_path / "g_tmp"), processor(256).save, processor.load
    ).load()
    # gokart concatenates the chunks in glob order: the rows are all there, in some order.
    pd.testing.assert_frame_equal(loaded.sort_index(), _frame())
