"""Fixtures the pipeline's tests share: moto S3, and the emulator's ECS API on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from harness.ecs.api import ApiServer
from harness.ecs.control_plane import ControlPlane
from tests.model.conftest import s3

__all__ = ["s3"]  # moto S3, the model tests' fixture


@pytest.fixture
def ecs_api() -> Iterator[Any]:
    """A boto3 ECS client on a fresh emulator API (the instant scheduler: services
    converge at once), with cluster ``c``."""
    with ApiServer(ControlPlane()) as server:
        client = boto3.client(
            "ecs",
            endpoint_url=server.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        client.create_cluster(clusterName="c")
        yield client
