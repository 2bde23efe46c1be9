"""Clients for the emulator's API in tests: boto3 with dummy credentials, and raw
JSON 1.1 posts for what boto3 would refuse to send."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import boto3
from botocore.config import Config

from harness.ecs.api import ApiServer

CREDENTIALS = {
    "region_name": "us-east-1",
    "aws_access_key_id": "test",
    "aws_secret_access_key": "test",
}


def api_client(service: str, server: ApiServer, config: Config | None = None) -> Any:
    return boto3.client(service, endpoint_url=server.endpoint_url, config=config, **CREDENTIALS)


def post_target(server: ApiServer, target: str, body: bytes) -> tuple[int, dict[str, Any]]:
    """POST ``body`` with ``X-Amz-Target: target``; the status and the decoded answer."""
    request = urllib.request.Request(
        server.endpoint_url,
        data=body,
        method="POST",
        headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)
