"""gokart-s3 through core's storage suite, on moto's S3 server."""

from __future__ import annotations

from typing import Any

import pytest

import gokart_s3
from gokart_core.testing import StorageConformance


class TestS3(StorageConformance):
    storage_plugins = (gokart_s3,)

    @pytest.fixture
    def storage_workspace(self, s3: Any) -> str:
        return "s3://gokart-test/conformance"  # conftest's bucket, emptied for each test
