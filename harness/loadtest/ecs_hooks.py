"""The deployment trigger and the events source, spoken through boto3's ECS API.

Against the Drydock emulator (``endpoint_url``) or real ECS (no endpoint: the
standard credential chain), the same two calls: ``UpdateService`` with
``forceNewDeployment`` starts a rolling replacement of the tasks, and
``DescribeServices`` lists what the service did.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config

from harness.loadtest.deployment_events import EventsSource
from harness.loadtest.errors import LoadTestError

ECS_CONFIG = Config(connect_timeout=3, read_timeout=10, retries={"max_attempts": 2})


def ecs_client(endpoint_url: str | None, region: str) -> Any:
    """A local endpoint gets dummy credentials unless real ones are set; AWS gets the chain."""
    if endpoint_url is None:
        return boto3.client("ecs", region_name=region, config=ECS_CONFIG)
    return boto3.client(
        "ecs",
        endpoint_url=endpoint_url,
        region_name=region,
        config=ECS_CONFIG,
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
    )


def force_new_deployment(client: Any, cluster: str, service: str) -> Callable[[], None]:
    """A trigger that replaces every task of the service with the same task definition."""

    def trigger() -> None:
        client.update_service(cluster=cluster, service=service, forceNewDeployment=True)

    return trigger


def service_events(client: Any, cluster: str, service: str) -> EventsSource:
    """An events source reading ``DescribeServices``; a missing service is an error."""

    def events() -> list[dict[str, Any]]:
        answer = client.describe_services(cluster=cluster, services=[service])
        services = answer.get("services") or []
        if not services:
            reasons = "; ".join(f.get("reason", "?") for f in answer.get("failures") or [])
            raise LoadTestError(f"service {service} not found in cluster {cluster}: {reasons}")
        return list(services[0].get("events") or [])

    return events
