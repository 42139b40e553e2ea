"""A real multi-file model: gensim's Word2Vec, and the seed README's TrainWord2Vec example."""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fsspec
import gensim
import pytest
from gensim.models import Word2Vec

import gokart_core as gokart
from gokart_core import TaskOnKart

CORPUS = [
    ["cat", "dog", "pet", "animal", "fur"],
    ["dog", "cat", "animal", "pet", "tail"],
    ["car", "truck", "road", "engine", "wheel"],
    ["truck", "car", "wheel", "road", "drive"],
    ["pet", "fur", "tail", "cat", "dog"],
    ["engine", "drive", "road", "car", "truck"],
] * 20


def train() -> Any:
    return Word2Vec(sentences=CORPUS, vector_size=16, window=2, min_count=1, workers=1, seed=1)


def save_separately(model: Any, path: str) -> None:
    """A low sep_limit: every array goes to its own .npy file beside the model."""
    model.save(path, sep_limit=64)


@pytest.fixture(params=["local", "memory"])
def workspace(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "local":
        yield str(tmp_path / "resources")
        return
    url = f"memory://gokart-zip-w2v-{os.urandom(6).hex()}"
    yield url
    fs = fsspec.filesystem("memory")
    if fs.exists(url):
        fs.rm(url, recursive=True)


class Word2VecModel(TaskOnKart):
    task_namespace = "gokart_zip_tests"

    def output(self) -> Any:
        return self.make_model_target(
            "model/word2vec.zip", save_function=save_separately, load_function=Word2Vec.load
        )

    def run(self) -> None:
        self.dump(train())


class SimilarWords(TaskOnKart):
    task_namespace = "gokart_zip_tests"

    def requires(self) -> Any:
        return dict(
            model=Word2VecModel(
                workspace_directory=self.workspace_directory,
                local_temporary_directory=self.local_temporary_directory,
            )
        )

    def output(self) -> Any:
        return self.make_model_target(
            "similar.zip",
            save_function=lambda obj, path: Path(path).write_text(repr(obj)),
            load_function=lambda path: Path(path).read_text(),
        )

    def run(self) -> None:
        model = self.load("model")
        self.dump(model.wv.most_similar("cat", topn=3))


def test_word2vec_with_separate_arrays_round_trips(workspace: str, tmp_path: Path) -> None:
    tmp = tmp_path / "local_tmp"
    task = Word2VecModel(workspace_directory=workspace, local_temporary_directory=str(tmp))
    original = train()
    target = task.output()
    target.dump(original)

    with target.fs.open(target.fs_path, "rb") as fp:
        names = zipfile.ZipFile(io.BytesIO(fp.read())).namelist()
    arrays = [n for n in names if n.endswith(".npy")]
    assert "model.pkl" in names
    assert len(arrays) >= 2, names  # really a multi-file model

    loaded = target.load()
    assert isinstance(loaded, Word2Vec)
    assert loaded.wv.most_similar("cat", topn=3) == original.wv.most_similar("cat", topn=3)
    assert loaded.wv.most_similar("truck", topn=3) == original.wv.most_similar("truck", topn=3)
    assert list(tmp.iterdir()) == []


def test_word2vec_pipeline_builds(workspace: str, tmp_path: Path) -> None:
    task = SimilarWords(workspace_directory=workspace, local_temporary_directory=str(tmp_path))
    expected = repr(train().wv.most_similar("cat", topn=3))
    assert gokart.build(task) == expected


# ---------------------------------------------------------------- the seed README's example
# Verbatim but for the module name: the README wrote ``gensim.model.Word2Vec``, which does not
# exist; gensim's module is ``gensim.models``.


class TrainWord2Vec(gokart.TaskOnKart):
    task_namespace = "gokart_zip_tests"

    def output(self):  # type: ignore[no-untyped-def]
        # please use 'zip'.
        return self.make_model_target(
            "model.zip",
            save_function=gensim.models.Word2Vec.save,
            load_function=gensim.models.Word2Vec.load,
        )

    def run(self):  # type: ignore[no-untyped-def]
        # make word2vec
        word2vec = train()
        self.dump(word2vec)


def test_seed_readme_train_word2vec_example(workspace: str, tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    task = TrainWord2Vec(workspace_directory=workspace, local_temporary_directory=str(tmp))
    model = gokart.build(task)
    assert isinstance(model, Word2Vec)
    assert model.wv.most_similar("car", topn=2) == train().wv.most_similar("car", topn=2)
    assert task.output().path() == f"{workspace}/model_{task.make_unique_id()}.zip"
    assert task.complete()
    assert list(tmp.iterdir()) == []


SEED_README_EXAMPLE = """
class TrainWord2Vec(TaskOnKart):
    def output(self):
        # please use 'zip'.
        return self.make_model_target(
            'model.zip',
            save_function=gensim.model.Word2Vec.save,
            load_function=gensim.model.Word2Vec.load)

    def run(self):
        # make word2vec
        self.dump(word2vec)
"""


def test_seed_readme_text_runs_as_written(workspace: str, tmp_path: Path) -> None:
    """The README's code block itself, executed; only ``gensim.model`` (a typo) and the
    ``word2vec`` it dumps come from the test."""
    namespace: dict[str, Any] = {
        "__name__": "seed_readme",
        "TaskOnKart": gokart.TaskOnKart,
        "gensim": type("gensim", (), {"model": gensim.models}),
        "word2vec": train(),
    }
    exec(SEED_README_EXAMPLE, namespace)
    task = namespace["TrainWord2Vec"](
        workspace_directory=workspace, local_temporary_directory=str(tmp_path / "tmp")
    )
    model = gokart.build(task)
    assert model.wv.most_similar("dog", topn=2) == train().wv.most_similar("dog", topn=2)
