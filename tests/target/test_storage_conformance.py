"""Core's own workspaces through the storage suite that every storage plugin passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from gokart_core.testing import StorageConformance


class TestLocalFolder(StorageConformance):
    @pytest.fixture
    def storage_workspace(self, tmp_path: Path) -> str:
        return str(tmp_path / "workspace")


class TestMemory(StorageConformance):
    @pytest.fixture
    def storage_workspace(self, memory_workspace: str) -> str:
        return memory_workspace
