"""The deployment trigger and the events source, spoken through boto3's ECS API.

Against the Drydock emulator or real ECS (the client comes from
:func:`harness.aws.aws_client`), the same two calls: ``UpdateService`` with
``forceNewDeployment`` starts a rolling replacement of the tasks, and
``DescribeServices`` lists what the service did.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.loadtest.deployment_events import EventsSource
from harness.loadtest.errors import LoadTestError


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
