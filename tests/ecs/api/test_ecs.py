"""The ECS JSON API through real boto3 clients and the AWS CLI, against a live local server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, WaiterError

from harness.ecs.api import HEALTH_PATH, ApiServer
from harness.ecs.control_plane import ControlPlane
from tests.ecs.api_clients import post_target

CREDENTIALS = {
    "region_name": "us-east-1",
    "aws_access_key_id": "test",
    "aws_secret_access_key": "test",
}
FAST_WAIT = {"Delay": 0.05, "MaxAttempts": 20}


@pytest.fixture
def server() -> Iterator[ApiServer]:
    with ApiServer(ControlPlane()) as srv:
        yield srv


@pytest.fixture
def ecs(server: ApiServer) -> Any:
    return boto3.client("ecs", endpoint_url=server.endpoint_url, **CREDENTIALS)


@pytest.fixture
def elbv2(server: ApiServer) -> Any:
    return boto3.client("elbv2", endpoint_url=server.endpoint_url, **CREDENTIALS)


def error_code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return excinfo.value.response["Error"]["Code"]


def register(ecs: Any, family: str = "web", image: str = "app:1", port: int = 8080) -> str:
    return ecs.register_task_definition(
        family=family,
        containerDefinitions=[
            {"name": "app", "image": image, "portMappings": [{"containerPort": port}]}
        ],
    )["taskDefinition"]["taskDefinitionArn"]


def balanced_target_group(elbv2: Any) -> str:
    tg = elbv2.create_target_group(
        Name="web", Protocol="HTTP", Port=8080, VpcId="vpc-1", TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    lb = elbv2.create_load_balancer(Name="web-lb", Subnets=["subnet-1", "subnet-2"])
    elbv2.create_listener(
        LoadBalancerArn=lb["LoadBalancers"][0]["LoadBalancerArn"],
        Port=80,
        Protocol="HTTP",
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}],
    )
    return tg


# --- protocol -------------------------------------------------------------------------


def test_health_endpoint(server: ApiServer) -> None:
    with urllib.request.urlopen(server.endpoint_url + HEALTH_PATH, timeout=5) as response:
        assert response.status == 200
        assert json.load(response)["status"] == "ok"


def test_unknown_operation_and_bad_json_get_aws_errors(server: ApiServer) -> None:
    status, body = post_target(server, "AmazonEC2ContainerServiceV20141113.LaunchRockets", b"{}")
    assert (status, body["__type"]) == (400, "UnknownOperationException")
    assert "LaunchRockets" in body["message"]
    status, body = post_target(server, "AmazonEC2ContainerServiceV20141113.ListClusters", b"{oops")
    assert (status, body["__type"]) == (400, "SerializationException")


def test_real_but_unemulated_operation_says_so(ecs: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        ecs.run_task(taskDefinition="web")
    assert error_code(excinfo) == "UnsupportedFeatureException"
    assert "RunTask" in excinfo.value.response["Error"]["Message"]


def test_server_side_validation_names_the_member(server: ApiServer) -> None:
    unchecked = boto3.client(
        "ecs",
        endpoint_url=server.endpoint_url,
        config=Config(parameter_validation=False),
        **CREDENTIALS,
    )
    with pytest.raises(ClientError) as excinfo:
        unchecked.register_task_definition(containerDefinitions=[])  # family missing
    assert error_code(excinfo) == "InvalidParameterException"
    assert "family" in excinfo.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as excinfo:
        unchecked.list_tasks(desiredStatus="SLEEPING")
    assert error_code(excinfo) == "InvalidParameterException"
    assert "SLEEPING" in excinfo.value.response["Error"]["Message"]
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


# --- clusters -------------------------------------------------------------------------


def test_cluster_lifecycle(ecs: Any) -> None:
    created = ecs.create_cluster(clusterName="rehearsal")["cluster"]
    assert created["clusterArn"] == "arn:aws:ecs:us-east-1:000000000000:cluster/rehearsal"
    assert ecs.create_cluster(clusterName="rehearsal")["cluster"] == created  # idempotent
    assert ecs.list_clusters()["clusterArns"] == [created["clusterArn"]]
    described = ecs.describe_clusters(clusters=["rehearsal", "ghost"])
    assert [c["status"] for c in described["clusters"]] == ["ACTIVE"]
    assert described["failures"][0]["reason"] == "MISSING"
    assert ecs.delete_cluster(cluster="rehearsal")["cluster"]["status"] == "INACTIVE"
    assert ecs.list_clusters()["clusterArns"] == []
    with pytest.raises(ClientError) as excinfo:
        ecs.list_services(cluster="rehearsal")
    assert error_code(excinfo) == "ClusterNotFoundException"


# --- task definitions -----------------------------------------------------------------


def test_task_definition_revisions_are_kept(ecs: Any) -> None:
    first, second = register(ecs, image="app:1"), register(ecs, image="app:2")
    assert first.endswith(":task-definition/web:1") and second.endswith(":task-definition/web:2")
    assert ecs.describe_task_definition(taskDefinition="web")["taskDefinition"]["revision"] == 2
    latest = ecs.describe_task_definition(taskDefinition="web:1")["taskDefinition"]
    assert latest["containerDefinitions"][0]["image"] == "app:1"

    gone = ecs.deregister_task_definition(taskDefinition="web:2")["taskDefinition"]
    assert gone["status"] == "INACTIVE" and "deregisteredAt" in gone
    assert ecs.describe_task_definition(taskDefinition=second)["taskDefinition"]["status"] == (
        "INACTIVE"
    )
    assert ecs.describe_task_definition(taskDefinition="web")["taskDefinition"]["revision"] == 1
    assert register(ecs).endswith(":3")  # numbers are never reused
    listed = ecs.list_task_definitions(familyPrefix="we")["taskDefinitionArns"]
    assert listed == [first, first[:-1] + "3"]
    assert ecs.list_task_definitions(status="INACTIVE")["taskDefinitionArns"] == [second]


def test_task_definition_listing_paginates(ecs: Any) -> None:
    arns = [register(ecs, family=f"f{i}") for i in range(5)]
    pages = ecs.get_paginator("list_task_definitions").paginate(PaginationConfig={"PageSize": 2})
    assert [a for page in pages for a in page["taskDefinitionArns"]] == arns


def test_unknown_task_definition_is_a_client_exception(ecs: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        ecs.describe_task_definition(taskDefinition="nothing:7")
    assert error_code(excinfo) == "ClientException"
    assert "Unable to describe task definition." in excinfo.value.response["Error"]["Message"]


# --- services -------------------------------------------------------------------------


def create_web_service(ecs: Any, elbv2: Any, desired: int = 2) -> dict[str, Any]:
    ecs.create_cluster(clusterName="prod")
    register(ecs)
    return ecs.create_service(
        cluster="prod",
        serviceName="web",
        taskDefinition="web",
        desiredCount=desired,
        loadBalancers=[
            {
                "targetGroupArn": balanced_target_group(elbv2),
                "containerName": "app",
                "containerPort": 8080,
            }
        ],
        deploymentConfiguration={
            "maximumPercent": 150,
            "minimumHealthyPercent": 50,
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        },
        healthCheckGracePeriodSeconds=30,
    )["service"]


def test_create_service_and_wait_until_stable(ecs: Any, elbv2: Any) -> None:
    service = create_web_service(ecs, elbv2)
    assert service["serviceArn"] == "arn:aws:ecs:us-east-1:000000000000:service/prod/web"
    assert service["deploymentConfiguration"] == {
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "maximumPercent": 150,
        "minimumHealthyPercent": 50,
        "strategy": "ROLLING",  # AWS shows the default strategy too
    }
    assert service["healthCheckGracePeriodSeconds"] == 30
    assert service["loadBalancers"][0]["containerPort"] == 8080
    ecs.get_waiter("services_stable").wait(cluster="prod", services=["web"], WaiterConfig=FAST_WAIT)
    described = ecs.describe_services(cluster="prod", services=["web", "ghost"])
    deployment = described["services"][0]["deployments"][0]
    assert deployment["id"].startswith("ecs-svc/")
    assert (deployment["status"], deployment["rolloutState"]) == ("PRIMARY", "COMPLETED")
    assert described["failures"] == [
        {"arn": "arn:aws:ecs:us-east-1:000000000000:service/prod/ghost", "reason": "MISSING"}
    ]
    assert ecs.list_services(cluster="prod")["serviceArns"] == [service["serviceArn"]]


def test_update_service_rolls_to_a_new_revision(ecs: Any, elbv2: Any) -> None:
    create_web_service(ecs, elbv2)
    second = register(ecs, image="app:2")
    updated = ecs.update_service(
        cluster="prod", service="web", taskDefinition="web:2", desiredCount=3
    )["service"]
    assert updated["taskDefinition"] == second
    assert updated["deployments"][0]["taskDefinition"] == second
    forced = ecs.update_service(cluster="prod", service="web", forceNewDeployment=True)
    assert forced["service"]["deployments"][0]["id"] != updated["deployments"][0]["id"]
    tasks = ecs.list_tasks(cluster="prod", serviceName="web")["taskArns"]
    assert len(tasks) == 3
    described = ecs.describe_tasks(cluster="prod", tasks=tasks)["tasks"]
    assert {t["taskDefinitionArn"] for t in described} == {second}
    assert {t["lastStatus"] for t in described} == {"RUNNING"}
    assert all(t["group"] == "service:web" for t in described)


def test_create_service_rejects_what_aws_rejects(ecs: Any, elbv2: Any) -> None:
    ecs.create_cluster(clusterName="prod")
    register(ecs)
    tg = balanced_target_group(elbv2)
    bad: list[tuple[dict[str, Any], str, str]] = [
        ({"taskDefinition": "nope"}, "ClientException", "Unable to describe task definition"),
        ({"cluster": "ghost"}, "ClusterNotFoundException", "ghost"),
        (
            {
                "loadBalancers": [
                    {"targetGroupArn": tg, "containerName": "app", "containerPort": 9999}
                ]
            },
            "InvalidParameterException",
            "9999",
        ),
        (
            {
                "loadBalancers": [
                    {"targetGroupArn": tg, "containerName": "sidecar", "containerPort": 8080}
                ]
            },
            "InvalidParameterException",
            "sidecar",
        ),
        (
            {"deploymentConfiguration": {"minimumHealthyPercent": 150}},
            "InvalidParameterException",
            "minimumHealthyPercent",
        ),
    ]
    for overrides, code, words in bad:
        request = {
            "cluster": "prod",
            "serviceName": "web",
            "taskDefinition": "web",
            "desiredCount": 1,
            **overrides,
        }
        with pytest.raises(ClientError) as excinfo:
            ecs.create_service(**request)
        assert error_code(excinfo) == code, overrides
        assert words in excinfo.value.response["Error"]["Message"]


def test_service_errors_and_deletion(ecs: Any, elbv2: Any) -> None:
    create_web_service(ecs, elbv2)
    with pytest.raises(ClientError) as excinfo:
        ecs.update_service(cluster="prod", service="ghost", desiredCount=1)
    assert error_code(excinfo) == "ServiceNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        ecs.delete_service(cluster="prod", service="web")
    assert error_code(excinfo) == "InvalidParameterException"
    with pytest.raises(ClientError) as excinfo:
        ecs.delete_cluster(cluster="prod")
    assert error_code(excinfo) == "ClusterContainsServicesException"

    assert ecs.delete_service(cluster="prod", service="web", force=True)["service"]["status"] in (
        "DRAINING",
        "INACTIVE",
    )
    with pytest.raises(ClientError) as excinfo:
        ecs.update_service(cluster="prod", service="web", desiredCount=1)
    assert error_code(excinfo) == "ServiceNotActiveException"
    with pytest.raises(WaiterError):
        ecs.get_waiter("services_stable").wait(
            cluster="prod", services=["web"], WaiterConfig=FAST_WAIT
        )
    assert ecs.list_services(cluster="prod")["serviceArns"] == []


def test_stop_task_is_replaced_and_listed_as_stopped(ecs: Any, elbv2: Any) -> None:
    create_web_service(ecs, elbv2, desired=1)
    [task] = ecs.list_tasks(cluster="prod", serviceName="web")["taskArns"]
    stopped = ecs.stop_task(cluster="prod", task=task.rsplit("/", 1)[-1], reason="chaos")["task"]
    assert stopped["desiredStatus"] == "STOPPED" and stopped["stoppedReason"] == "chaos"
    assert ecs.list_tasks(cluster="prod", desiredStatus="STOPPED")["taskArns"] == [task]
    [replacement] = ecs.list_tasks(cluster="prod", serviceName="web")["taskArns"]
    assert replacement != task
    with pytest.raises(ClientError) as excinfo:
        ecs.stop_task(cluster="prod", task="0" * 32)
    assert error_code(excinfo) == "InvalidParameterException"


# --- the AWS CLI ----------------------------------------------------------------------


def test_aws_cli_talks_to_the_emulator(server: ApiServer, ecs: Any) -> None:
    ecs.create_cluster(clusterName="from-boto3")
    aws = Path(sys.executable).with_name("aws")
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_PAGER": "",
    }
    result = subprocess.run(
        [
            str(aws),
            "--endpoint-url",
            server.endpoint_url,
            "--output",
            "json",
            "ecs",
            "list-clusters",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["clusterArns"] == [
        "arn:aws:ecs:us-east-1:000000000000:cluster/from-boto3"
    ]
