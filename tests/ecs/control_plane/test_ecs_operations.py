"""CreateService/UpdateService with deployment strategies, through boto3 (InstantScheduler)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from harness.ecs.api import ApiServer
from harness.ecs.control_plane import ControlPlane
from tests.ecs.api_clients import CREDENTIALS

ROLE = "arn:aws:iam::000000000000:role/ecs"


@pytest.fixture
def clients() -> Iterator[tuple[Any, Any]]:
    with ApiServer(ControlPlane()) as server:
        yield (
            boto3.client("ecs", endpoint_url=server.endpoint_url, **CREDENTIALS),
            boto3.client("elbv2", endpoint_url=server.endpoint_url, **CREDENTIALS),
        )


def world(ecs: Any, elbv2: Any) -> dict[str, str]:
    """A cluster, a task definition, blue, green and other target groups; an ALB listener
    forwarding to blue, another to other."""
    ecs.create_cluster(clusterName="c")
    ecs.register_task_definition(
        family="web",
        containerDefinitions=[
            {"name": "app", "image": "app:1", "portMappings": [{"containerPort": 8080}]}
        ],
    )
    names = {}
    for name in ("blue", "green", "other"):
        names[name] = elbv2.create_target_group(
            Name=name, Protocol="HTTP", Port=8080, VpcId="vpc-1", TargetType="ip"
        )["TargetGroups"][0]["TargetGroupArn"]
    lb = elbv2.create_load_balancer(Name="lb", Subnets=["s-1", "s-2"])
    listener = elbv2.create_listener(
        LoadBalancerArn=lb["LoadBalancers"][0]["LoadBalancerArn"],
        Port=80,
        Protocol="HTTP",
        DefaultActions=[{"Type": "forward", "TargetGroupArn": names["blue"]}],
    )["Listeners"][0]["ListenerArn"]
    names["rule"] = elbv2.describe_rules(ListenerArn=listener)["Rules"][0]["RuleArn"]
    elbv2.create_listener(
        LoadBalancerArn=lb["LoadBalancers"][0]["LoadBalancerArn"],
        Port=81,
        Protocol="HTTP",
        DefaultActions=[{"Type": "forward", "TargetGroupArn": names["other"]}],
    )
    return names


def balancer(arns: dict[str, str], advanced: bool = True, **change: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "targetGroupArn": arns["blue"],
        "containerName": "app",
        "containerPort": 8080,
    }
    if advanced:
        out["advancedConfiguration"] = {
            "alternateTargetGroupArn": arns["green"],
            "productionListenerRule": arns["rule"],
            "roleArn": ROLE,
            **change,
        }
    return out


def refused(call: Any, match: str, **kwargs: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    assert excinfo.value.response["Error"]["Code"] == "InvalidParameterException"
    assert match in excinfo.value.response["Error"]["Message"]


def test_blue_green_service_is_created_and_echoed(clients: tuple[Any, Any]) -> None:
    ecs, elbv2 = clients
    arns = world(ecs, elbv2)
    ecs.create_service(
        cluster="c",
        serviceName="web",
        taskDefinition="web",
        desiredCount=1,
        loadBalancers=[balancer(arns)],
        deploymentConfiguration={"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 15},
    )
    shown = ecs.describe_services(cluster="c", services=["web"])["services"][0]
    assert shown["deploymentConfiguration"]["strategy"] == "BLUE_GREEN"
    assert shown["deploymentConfiguration"]["bakeTimeInMinutes"] == 15
    assert shown["loadBalancers"][0]["advancedConfiguration"] == {
        "alternateTargetGroupArn": arns["green"],
        "productionListenerRule": arns["rule"],
        "roleArn": ROLE,
    }


def test_create_refuses_what_aws_refuses_and_keeps_nothing(clients: tuple[Any, Any]) -> None:
    ecs, elbv2 = clients
    arns = world(ecs, elbv2)
    base = {"cluster": "c", "serviceName": "web", "taskDefinition": "web", "desiredCount": 1}
    refused(
        ecs.create_service,
        "requires loadBalancers[].advancedConfiguration",
        loadBalancers=[balancer(arns, advanced=False)],
        deploymentConfiguration={"strategy": "LINEAR"},
        **base,
    )
    refused(
        ecs.create_service,
        "must differ from targetGroupArn",
        loadBalancers=[balancer(arns, alternateTargetGroupArn=arns["blue"])],
        deploymentConfiguration={"strategy": "BLUE_GREEN"},
        **base,
    )
    refused(
        ecs.create_service,
        "does not exist",
        loadBalancers=[balancer(arns, productionListenerRule=arns["rule"] + "0")],
        deploymentConfiguration={"strategy": "BLUE_GREEN"},
        **base,
    )
    assert ecs.list_services(cluster="c")["serviceArns"] == []


def test_update_moves_a_rolling_service_to_canary_with_advanced_configuration(
    clients: tuple[Any, Any],
) -> None:
    ecs, elbv2 = clients
    arns = world(ecs, elbv2)
    ecs.create_service(
        cluster="c",
        serviceName="web",
        taskDefinition="web",
        desiredCount=1,
        loadBalancers=[balancer(arns, advanced=False)],
    )
    update = {"cluster": "c", "service": "web"}
    canary = {"strategy": "CANARY", "canaryConfiguration": {"canaryPercent": 10.0}}
    refused(
        ecs.update_service,
        "requires loadBalancers[].advancedConfiguration",
        deploymentConfiguration=canary,
        **update,
    )
    refused(
        ecs.update_service,
        "only their advancedConfiguration may change",
        loadBalancers=[{**balancer(arns, advanced=False), "targetGroupArn": arns["other"]}],
        deploymentConfiguration=canary,
        **update,
    )
    shown = ecs.update_service(
        loadBalancers=[balancer(arns)], deploymentConfiguration=canary, **update
    )["service"]
    assert shown["deploymentConfiguration"]["strategy"] == "CANARY"
    assert shown["deploymentConfiguration"]["canaryConfiguration"]["canaryPercent"] == 10.0
    assert (
        shown["loadBalancers"][0]["advancedConfiguration"]["alternateTargetGroupArn"]
        == (arns["green"])
    )
    back = ecs.update_service(deploymentConfiguration={"strategy": "ROLLING"}, **update)
    assert "canaryConfiguration" not in back["service"]["deploymentConfiguration"]
