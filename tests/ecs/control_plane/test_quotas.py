"""AWS's service quotas through real boto3 clients: AWS's error code, nothing created.

Small quota values (the settings a user could set) keep the tests fast; the defaults
are checked against AWS's documented values once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from harness.ecs.api import ApiServer
from harness.ecs.control_plane import ControlPlane
from harness.ecs.control_plane.quotas import Quotas
from harness.settings import DrydockSettings

CREDENTIALS = {
    "region_name": "us-east-1",
    "aws_access_key_id": "test",
    "aws_secret_access_key": "test",
}
SMALL = Quotas(
    clusters=2,
    services_per_cluster=2,
    tasks_per_service=3,
    containers_per_task_definition=2,
    task_definition_bytes=2_000,
    tags_per_resource=3,
    load_balancers=1,
    target_groups=2,
    targets_per_target_group=2,
    listeners_per_load_balancer=1,
)


@pytest.fixture
def plane() -> ControlPlane:
    return ControlPlane(quotas=SMALL)


@pytest.fixture
def server(plane: ControlPlane) -> Iterator[ApiServer]:
    with ApiServer(plane) as srv:
        yield srv


@pytest.fixture
def ecs(server: ApiServer) -> Any:
    return boto3.client("ecs", endpoint_url=server.endpoint_url, **CREDENTIALS)


@pytest.fixture
def elbv2(server: ApiServer) -> Any:
    return boto3.client("elbv2", endpoint_url=server.endpoint_url, **CREDENTIALS)


def refused(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    response = excinfo.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def tags(n: int) -> list[dict[str, str]]:
    return [{"key": f"k{i}", "value": "v"} for i in range(n)]


def container(name: str) -> dict[str, Any]:
    return {"name": name, "image": "app:1", "memory": 128}


def service(ecs: Any, name: str, desired: int = 1) -> dict[str, Any]:
    return ecs.create_service(
        cluster="c", serviceName=name, taskDefinition="web", desiredCount=desired
    )["service"]


@pytest.fixture
def cluster_and_definition(ecs: Any) -> None:
    ecs.create_cluster(clusterName="c")
    ecs.register_task_definition(family="web", containerDefinitions=[container("app")])


def test_defaults_are_aws_documented_values() -> None:
    assert Quotas() == Quotas.from_settings(DrydockSettings())
    assert (Quotas().tasks_per_service, Quotas().services_per_cluster) == (5_000, 5_000)
    assert (Quotas().clusters, Quotas().task_definition_bytes) == (10_000, 65_536)
    assert (Quotas().target_groups, Quotas().targets_per_target_group) == (3_000, 1_000)


def test_a_setting_overrides_a_quota(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRYDOCK_QUOTA_TASKS_PER_SERVICE", "7")
    assert Quotas.from_settings(DrydockSettings()).tasks_per_service == 7


@pytest.mark.usefixtures("cluster_and_definition")
def test_desired_count_past_tasks_per_service_is_refused_and_changes_nothing(ecs: Any) -> None:
    service(ecs, "s", desired=3)
    with pytest.raises(ClientError) as excinfo:
        ecs.update_service(cluster="c", service="s", desiredCount=1_000_000_000_000)
    code, message, status = refused(excinfo)
    assert (code, status) == ("InvalidParameterException", 400)
    assert message.startswith("Desired count exceeds limit.")
    assert "1000000000000" in message and "(3)" in message
    described = ecs.describe_services(cluster="c", services=["s"])["services"][0]
    assert described["desiredCount"] == 3


@pytest.mark.usefixtures("cluster_and_definition")
def test_create_service_past_tasks_per_service_creates_nothing(ecs: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        service(ecs, "s", desired=4)
    assert refused(excinfo)[0] == "InvalidParameterException"
    assert ecs.list_services(cluster="c")["serviceArns"] == []


@pytest.mark.usefixtures("cluster_and_definition")
def test_services_per_cluster(ecs: Any) -> None:
    service(ecs, "a")
    service(ecs, "b")
    with pytest.raises(ClientError) as excinfo:
        service(ecs, "third")
    code, message, _ = refused(excinfo)
    assert code == "LimitExceededException"
    assert "services per cluster (2)" in message
    assert len(ecs.list_services(cluster="c")["serviceArns"]) == 2


def test_clusters_per_account_and_create_cluster_stays_idempotent(ecs: Any) -> None:
    ecs.create_cluster(clusterName="one")
    ecs.create_cluster(clusterName="two")
    ecs.create_cluster(clusterName="two")  # exists: creates nothing, so no quota
    with pytest.raises(ClientError) as excinfo:
        ecs.create_cluster(clusterName="three")
    assert refused(excinfo)[0] == "LimitExceededException"
    assert len(ecs.list_clusters()["clusterArns"]) == 2


def test_containers_per_task_definition(ecs: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        ecs.register_task_definition(
            family="web", containerDefinitions=[container(n) for n in "abc"]
        )
    code, message, _ = refused(excinfo)
    assert code == "ClientException" and "has 3" in message
    assert ecs.list_task_definitions()["taskDefinitionArns"] == []


def test_task_definition_size_in_aws_words(ecs: Any) -> None:
    big = {**container("app"), "environment": [{"name": "X", "value": "v" * 3_000}]}
    with pytest.raises(ClientError) as excinfo:
        ecs.register_task_definition(family="web", containerDefinitions=[big])
    code, message, _ = refused(excinfo)
    assert code == "ClientException"
    assert (
        message.startswith("Actual length: '") and "Max allowed length is '2000' bytes." in message
    )


def test_tags_per_ecs_resource(ecs: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        ecs.create_cluster(clusterName="c", tags=tags(4))
    assert refused(excinfo)[0] == "InvalidParameterException"
    ecs.create_cluster(clusterName="c", tags=tags(3))


def test_target_groups_and_their_tags(elbv2: Any) -> None:
    def create(name: str, **extra: Any) -> Any:
        return elbv2.create_target_group(
            Name=name, Protocol="HTTP", Port=80, VpcId="vpc-1", TargetType="ip", **extra
        )

    with pytest.raises(ClientError) as excinfo:
        create("t0", Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(4)])
    assert refused(excinfo)[:1] == ("TooManyTags",)
    create("t1")
    create("t2")
    with pytest.raises(ClientError) as excinfo:
        create("t3")
    code, message, status = refused(excinfo)
    assert (code, status) == ("TooManyTargetGroups", 400)
    assert message.startswith("You've reached the limit on the number of target groups")
    assert len(elbv2.describe_target_groups()["TargetGroups"]) == 2


def test_targets_per_target_group_counts_new_targets_only(elbv2: Any) -> None:
    tg = elbv2.create_target_group(
        Name="t", Protocol="HTTP", Port=80, VpcId="vpc-1", TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    elbv2.register_targets(TargetGroupArn=tg, Targets=[{"Id": "10.0.0.1"}, {"Id": "10.0.0.2"}])
    elbv2.register_targets(TargetGroupArn=tg, Targets=[{"Id": "10.0.0.2"}])  # already there
    with pytest.raises(ClientError) as excinfo:
        elbv2.register_targets(TargetGroupArn=tg, Targets=[{"Id": "10.0.0.3"}])
    assert refused(excinfo)[0] == "TooManyTargets"
    health = elbv2.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
    assert len(health) == 2


def test_load_balancers_and_listeners(elbv2: Any) -> None:
    lb = elbv2.create_load_balancer(Name="a", Subnets=["s-1", "s-2"])["LoadBalancers"][0]
    with pytest.raises(ClientError) as excinfo:
        elbv2.create_load_balancer(Name="b", Subnets=["s-1", "s-2"])
    assert refused(excinfo)[0] == "TooManyLoadBalancers"
    tg = elbv2.create_target_group(
        Name="t", Protocol="HTTP", Port=80, VpcId="vpc-1", TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    forward = [{"Type": "forward", "TargetGroupArn": tg}]
    arn = lb["LoadBalancerArn"]
    elbv2.create_listener(LoadBalancerArn=arn, Port=80, Protocol="HTTP", DefaultActions=forward)
    with pytest.raises(ClientError) as excinfo:
        elbv2.create_listener(LoadBalancerArn=arn, Port=81, Protocol="HTTP", DefaultActions=forward)
    assert refused(excinfo)[0] == "TooManyListeners"
    assert len(elbv2.describe_listeners(LoadBalancerArn=arn)["Listeners"]) == 1
