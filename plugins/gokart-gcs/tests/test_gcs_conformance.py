"""gokart-gcs through core's storage suite, on fake-gcs-server."""

from __future__ import annotations

from typing import Any

import pytest

import gokart_gcs
from gokart_core.testing import StorageConformance


class TestGcs(StorageConformance):
    storage_plugins = (gokart_gcs,)

    @pytest.fixture
    def storage_workspace(self, gcs: Any) -> str:
        return str(gcs.workspace)  # a new bucket for each test
