"""The one way to create a load-balanced service, against the emulator's API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from harness.aws import aws_client
from harness.ecs.api import ApiServer
from harness.ecs.control_plane import ControlPlane
from harness.pipeline.load_balanced_service import (
    ContainerTarget,
    TargetGroupSpec,
    create_service,
    deployment_configuration,
    ensure_load_balancing,
)
from harness.settings import DrydockSettings

SPEC = TargetGroupSpec(
    name="tg-web",
    port=8080,
    health_check_path="/ready",
    interval_s=10,
    timeout_s=4,
    deregistration_delay_s=7,
)


@pytest.fixture
def clients() -> Iterator[tuple[Any, Any]]:
    with ApiServer(ControlPlane()) as server:
        settings = DrydockSettings(ecs_port=server.port)
        yield aws_client("ecs", settings), aws_client("elbv2", settings)


def test_ensure_is_idempotent_and_wires_listener_to_group(clients: tuple[Any, Any]) -> None:
    _, elbv2 = clients
    first = ensure_load_balancing(elbv2, SPEC, "alb-web", 8080)
    again = ensure_load_balancing(elbv2, SPEC, "alb-web", 8080)

    assert first == again
    assert len(elbv2.describe_target_groups()["TargetGroups"]) == 1
    (balancer,) = elbv2.describe_load_balancers()["LoadBalancers"]
    (listener,) = elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]
    assert (listener["Port"], listener["DefaultActions"][0]["TargetGroupArn"]) == (8080, first)
    attributes = elbv2.describe_target_group_attributes(TargetGroupArn=first)["Attributes"]
    assert {"Key": "deregistration_delay.timeout_seconds", "Value": "7"} in attributes
    group = elbv2.describe_target_groups(TargetGroupArns=[first])["TargetGroups"][0]
    assert (group["HealthCheckPath"], group["HealthCheckIntervalSeconds"]) == ("/ready", 10)


def test_service_registers_its_container_in_the_group(clients: tuple[Any, Any]) -> None:
    ecs, elbv2 = clients
    group = ensure_load_balancing(elbv2, SPEC, "alb-web", 8080)
    ecs.create_cluster(clusterName="c")
    arn = ecs.register_task_definition(
        family="web",
        containerDefinitions=[
            {"name": "app", "image": "img", "memory": 64, "portMappings": [{"containerPort": 8080}]}
        ],
    )["taskDefinition"]["taskDefinitionArn"]

    create_service(
        ecs,
        cluster="c",
        name="web",
        task_definition=arn,
        desired_count=2,
        target=ContainerTarget(group, "app", 8080),
        deployment=deployment_configuration(50, 150, {"enable": True, "rollback": False}),
        grace_period_s=12,
    )

    service = ecs.describe_services(cluster="c", services=["web"])["services"][0]
    assert service["loadBalancers"] == [
        {"targetGroupArn": group, "containerName": "app", "containerPort": 8080}
    ]
    assert service["deploymentConfiguration"]["minimumHealthyPercent"] == 50
    assert service["deploymentConfiguration"]["deploymentCircuitBreaker"]["rollback"] is False
    assert service["healthCheckGracePeriodSeconds"] == 12
