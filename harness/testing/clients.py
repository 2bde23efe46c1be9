"""boto3 clients for the emulator: the same calls a user's code makes against AWS."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from harness.ecs.emulator.emulator import Emulator

#: Generous timeouts: the machine running scenarios is often busy.
CLIENT_CONFIG = Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 3})


def aws_client(kind: str, emulator: Emulator, region: str = "us-east-1") -> Any:
    """An ``ecs`` or ``elbv2`` client for ``emulator`` with dummy credentials."""
    return boto3.client(
        kind,
        endpoint_url=emulator.endpoint_url,
        region_name=region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=CLIENT_CONFIG,
    )
