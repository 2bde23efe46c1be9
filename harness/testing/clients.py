"""boto3 clients for the emulator: the same calls a user's code makes against AWS."""

from __future__ import annotations

from typing import Any

from harness.aws import aws_client as build_client
from harness.ecs.emulator.emulator import Emulator


def aws_client(kind: str, emulator: Emulator, region: str | None = None) -> Any:
    """An ``ecs`` or ``elbv2`` client for ``emulator`` (Drydock's one client factory,
    pointed at this emulator whatever the environment says)."""
    return build_client(
        kind, emulator.settings, endpoint_url=emulator.endpoint_url, region_name=region
    )
