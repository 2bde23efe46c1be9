"""boto3 clients pointed at the local cloud, or at real AWS when asked.

The pipeline code only ever receives a client, so moving it to real AWS is
``DRYDOCK_AWS_TARGET=aws`` (standard boto3 credentials and region), not a code change.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from harness.settings import DrydockSettings

# Path-style addressing: LocalStack on 127.0.0.1 has no per-bucket DNS names.
S3_CONFIG = Config(
    s3={"addressing_style": "path"},
    connect_timeout=3,
    read_timeout=30,
    retries={"max_attempts": 2, "mode": "standard"},
)
LOCAL_CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


def s3_client(settings: DrydockSettings) -> Any:
    if settings.aws_target == "aws":
        return boto3.client("s3", region_name=settings.region, config=S3_CONFIG)
    # Imported here: the emulator image ships without localstack-client (sdist only).
    from localstack_client.session import Session as LocalStackSession

    session = LocalStackSession(
        localstack_host=f"{settings.host}:{settings.localstack_port}",
        region_name=settings.region,
        aws_session_token=None,
        **LOCAL_CREDENTIALS,
    )
    return session.client("s3", config=S3_CONFIG)
