"""The emulator's API refuses oversized bodies with 413 in each protocol's error shape."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from harness.ecs.api import ApiServer
from harness.ecs.control_plane import ControlPlane

LIMIT = 4096
CREDENTIALS = {
    "region_name": "us-east-1",
    "aws_access_key_id": "test",
    "aws_secret_access_key": "test",
}


@pytest.fixture
def server() -> Iterator[ApiServer]:
    with ApiServer(ControlPlane(), max_request_bytes=LIMIT) as srv:
        yield srv


def post(server: ApiServer, body: bytes | Iterator[bytes], headers: dict[str, str]) -> Any:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    chunked = not isinstance(body, bytes)
    connection.request("POST", "/", body=body, headers=headers, encode_chunked=chunked)
    response = connection.getresponse()
    return response.status, response.getheader("Content-Type"), response.read()


ECS_HEADERS = {
    "X-Amz-Target": "AmazonEC2ContainerServiceV20141113.CreateCluster",
    "Content-Type": "application/x-amz-json-1.1",
}


def test_an_ecs_body_over_the_limit_gets_413_in_ecs_json(server: ApiServer) -> None:
    body = json.dumps({"clusterName": "c", "tags": [{"key": "k", "value": "v" * LIMIT}]})
    status, content_type, payload = post(server, body.encode(), ECS_HEADERS)
    assert status == 413 and content_type == "application/x-amz-json-1.1"
    error = json.loads(payload)
    assert error["__type"] == "RequestEntityTooLarge"
    assert str(LIMIT) in error["message"] and "DRYDOCK_ECS_MAX_REQUEST_BYTES" in error["message"]


def test_a_chunked_body_without_length_is_cut_off_at_the_limit(server: ApiServer) -> None:
    chunks = iter([b'{"clusterName": "c", "x": "' + b"v" * 1024] * 8 + [b'"}'])
    status, _, payload = post(server, chunks, ECS_HEADERS)
    assert status == 413
    assert json.loads(payload)["__type"] == "RequestEntityTooLarge"


def test_boto3_sees_the_refusal_and_nothing_is_created(server: ApiServer) -> None:
    ecs = boto3.client("ecs", endpoint_url=server.endpoint_url, **CREDENTIALS)
    with pytest.raises(ClientError) as excinfo:
        ecs.register_task_definition(
            family="web",
            containerDefinitions=[
                {"name": "a", "image": "i", "environment": [{"name": "X", "value": "v" * LIMIT}]}
            ],
        )
    assert excinfo.value.response["Error"]["Code"] == "RequestEntityTooLarge"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert ecs.list_task_definitions()["taskDefinitionArns"] == []
    ecs.create_cluster(clusterName="small-requests-still-work")


def test_an_elbv2_form_over_the_limit_gets_413_in_the_query_error_shape(server: ApiServer) -> None:
    elbv2 = boto3.client("elbv2", endpoint_url=server.endpoint_url, **CREDENTIALS)
    group = elbv2.create_target_group(
        Name="t", Protocol="HTTP", Port=80, VpcId="vpc-1", TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    targets = [{"Id": f"10.0.{i // 250}.{i % 250}"} for i in range(400)]
    with pytest.raises(ClientError) as excinfo:
        elbv2.register_targets(TargetGroupArn=group, Targets=targets)
    assert excinfo.value.response["Error"]["Code"] == "RequestEntityTooLarge"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert elbv2.describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"] == []


def test_the_default_limit_admits_a_thousand_targets() -> None:
    with ApiServer(ControlPlane()) as server:
        elbv2 = boto3.client("elbv2", endpoint_url=server.endpoint_url, **CREDENTIALS)
        group = elbv2.create_target_group(
            Name="t", Protocol="HTTP", Port=80, VpcId="vpc-1", TargetType="ip"
        )["TargetGroups"][0]["TargetGroupArn"]
        targets = [{"Id": f"10.0.{i // 250}.{i % 250}", "Port": 8080} for i in range(1000)]
        elbv2.register_targets(TargetGroupArn=group, Targets=targets)
        health = elbv2.describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"]
        assert len(health) == 1000


def test_a_chunked_body_under_the_limit_is_read_whole(server: ApiServer) -> None:
    chunks = iter([b'{"clusterName": ', b'"chunked", "tags": [', b'{"key": "k", "value": "v"}]}'])
    status, _, payload = post(server, chunks, ECS_HEADERS)
    assert status == 200, payload
    assert json.loads(payload)["cluster"]["clusterName"] == "chunked"


def test_a_form_of_too_many_parameters_gets_413_naming_them() -> None:
    with ApiServer(ControlPlane()) as server:
        fields = "&".join(f"Targets.member.{i}.Id=x" for i in range(1, 20_000))
        body = f"Action=RegisterTargets&Version=2015-12-01&TargetGroupArn=a&{fields}".encode()
        status, _, payload = post(
            server, body, {"Content-Type": "application/x-www-form-urlencoded"}
        )
    assert status == 413
    assert b"<Code>RequestEntityTooLarge</Code>" in payload
    assert b"more than 16384." in payload
