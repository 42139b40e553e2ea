"""The plugin guide's example, taken from the text of docs/plugin-guide.md: it installs as
written into a fresh virtualenv beside gokart-core, its pipeline runs, its tests pass; and
examples/gokart-yaml/ holds the same files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .venvs import ROOT, code_blocks, make_venv

GUIDE = ROOT / "docs" / "plugin-guide.md"
EXAMPLE = ROOT / "examples" / "gokart-yaml"
#: The user's code in the guide; every other named block is a file of the plugin's folder.
PIPELINE = "pipeline.py"
#: A block's first line that names its file: ``# path`` or ``<!-- path -->``.
_LABEL = re.compile(r"(?:# |<!-- )(?P<path>[\w./-]+\.\w+)(?: -->)?")


def guide_files() -> dict[str, str]:
    """Each code block of the guide that names its file, without that first line."""
    files = {}
    for _info, body in code_blocks(GUIDE.read_text(encoding="utf-8")):
        first, _, rest = body.partition("\n")
        label = _LABEL.fullmatch(first)
        if label:
            assert label["path"] not in files, f"the guide shows {label['path']} twice"
            files[label["path"]] = rest
    return files


def test_the_guide_shows_a_whole_plugin() -> None:
    assert {
        "pyproject.toml",
        "src/gokart_yaml/__init__.py",
        "src/gokart_yaml/_format.py",
        "tests/test_yaml.py",
        PIPELINE,
    } <= set(guide_files())


def test_the_example_folder_is_the_guide() -> None:
    shown = {path: text for path, text in guide_files().items() if path != PIPELINE}
    checked_in = {
        str(path.relative_to(EXAMPLE)): path.read_text(encoding="utf-8")
        for path in EXAMPLE.rglob("*")
        if path.is_file()
        and path.stat().st_size > 0  # py.typed: the guide says so in a sentence
        and not any(part.startswith((".", "__pycache__")) for part in path.parts)
        and path.suffix != ".pyc"
    }
    assert sorted(checked_in) == sorted(shown)
    for path, text in shown.items():
        assert checked_in[path] == text, f"examples/gokart-yaml/{path} differs from the guide"


@pytest.mark.slow
def test_the_guide_plugin_installs_as_written_and_works_in_a_task(tmp_path: Path) -> None:
    files = guide_files()
    project = tmp_path / "gokart-yaml"
    for path, text in files.items():
        if path != PIPELINE:
            (project / path).parent.mkdir(parents=True, exist_ok=True)
            (project / path).write_text(text, encoding="utf-8")
    venv = make_venv(tmp_path / "venv")
    # gokart-core is not on PyPI: it comes from this checkout, the plugin from the guide's text.
    venv.pip_install(ROOT, "./gokart-yaml[test]", cwd=tmp_path)

    run = tmp_path / "run"
    run.mkdir()
    (run / PIPELINE).write_text(files[PIPELINE], encoding="utf-8")
    printed = venv.run(PIPELINE, cwd=run).stdout
    assert printed == "{'learning_rate': 0.1, 'layers': [64, 32]}\n"
    (output,) = (run / "resources").glob("settings_*.yaml")
    assert re.fullmatch(r"settings_[0-9a-f]{32}\.yaml", output.name)
    assert output.read_text(encoding="utf-8") == "learning_rate: 0.1\nlayers:\n- 64\n- 32\n"

    tests = venv.run("-m", "pytest", "-q", "-p", "no:cacheprovider", "tests", cwd=project)
    assert re.search(r"\b\d+ passed\b", tests.stdout), tests.stdout
