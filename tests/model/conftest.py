from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from harness.aws import S3_CONFIG
from harness.model.store import ModelStore


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client(
            "s3",
            region_name="us-east-1",
            config=S3_CONFIG,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )


@pytest.fixture
def store(s3: Any) -> ModelStore:
    model_store = ModelStore(s3, "models-test")
    model_store.create_bucket()
    return model_store
