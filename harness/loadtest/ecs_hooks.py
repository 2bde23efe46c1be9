"""The deployment trigger and the events source, spoken through boto3's ECS API.

Against the Drydock emulator or real ECS (the client comes from
:func:`harness.aws.aws_client`), the same two calls: ``UpdateService`` starts the
deployment (a new task definition, or ``forceNewDeployment`` replacing every task;
optionally setting the strategy: ROLLING, BLUE_GREEN, LINEAR or CANARY), and
``DescribeServices`` lists what the service did.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.loadtest.deployment_events import EventsSource
from harness.loadtest.errors import LoadTestError


@dataclass(frozen=True)
class StrategyChange:
    """A deployment strategy to set in the same UpdateService that starts the deployment
    (the service needs ``advancedConfiguration`` for BLUE_GREEN/LINEAR/CANARY already)."""

    strategy: str
    bake_time_in_minutes: int | None = None
    canary_percent: float | None = None
    linear_step_percent: float | None = None
    step_bake_time_in_minutes: int | None = None

    def deployment_configuration(self) -> dict[str, Any]:
        """The members to change; ECS keeps the service's others."""
        config: dict[str, Any] = {"strategy": self.strategy}
        if self.bake_time_in_minutes is not None:
            config["bakeTimeInMinutes"] = self.bake_time_in_minutes
        step_bake = self.step_bake_time_in_minutes
        if self.strategy == "CANARY" and self.canary_percent is not None:
            canary: dict[str, Any] = {"canaryPercent": self.canary_percent}
            if step_bake is not None:
                canary["canaryBakeTimeInMinutes"] = step_bake
            config["canaryConfiguration"] = canary
        if self.strategy == "LINEAR" and self.linear_step_percent is not None:
            linear: dict[str, Any] = {"stepPercent": self.linear_step_percent}
            if step_bake is not None:
                linear["stepBakeTimeInMinutes"] = step_bake
            config["linearConfiguration"] = linear
        return config


def deploy(
    client: Any,
    cluster: str,
    service: str,
    task_definition: str | None = None,
    strategy: StrategyChange | None = None,
) -> Callable[[], None]:
    """A trigger deploying ``task_definition`` (a new model version), or replacing every
    task with the same one when None; with ``strategy``, by that strategy."""
    request: dict[str, Any] = {"cluster": cluster, "service": service}
    if task_definition:
        request["taskDefinition"] = task_definition
    else:
        request["forceNewDeployment"] = True
    if strategy is not None:
        request["deploymentConfiguration"] = strategy.deployment_configuration()

    def trigger() -> None:
        client.update_service(**request)

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
