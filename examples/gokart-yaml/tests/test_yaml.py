from __future__ import annotations

from pathlib import Path

import gokart_core as gokart
import gokart_yaml
from gokart_core.testing import FormatConformance


class TestYamlConformance(FormatConformance):
    plugin = gokart_yaml
    extension = ".yaml"
    samples = [  # noqa: RUF012 - the base class declares it a ClassVar
        {"name": "gokart", "tags": ["luigi", "pipelines"], "stars": 300, "ok": True},
        [1, 2.5, None, "日本語"],
    ]
    unsupported = {"a set": {1, 2}}  # noqa: RUF012

    def corrupt(self, data: bytes) -> bytes:
        # Most damaged bytes are still valid YAML: give one document that is not.
        return b"key: [unclosed\n"


def test_picked_up_by_extension_through_the_entry_point(tmp_path: Path) -> None:
    for ext in (".yaml", ".yml"):
        target = gokart.make_target(str(tmp_path / f"config{ext}"))
        assert target.format.name == "yaml"
        target.dump({"learning_rate": 0.1})
        assert target.load() == {"learning_rate": 0.1}
