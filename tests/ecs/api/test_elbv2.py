"""The ELBv2 query API through a real boto3 client (botocore's XML parser reads every reply)."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any
from xml.etree import ElementTree as ET

import boto3
import pytest
from botocore.exceptions import ClientError

from harness.ecs.api import ApiServer
from harness.ecs.control_plane import ControlPlane
from harness.ecs.control_plane.elbv2.target_health import response_code_mismatch_description

NS = {"e": "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"}


@pytest.fixture
def plane() -> ControlPlane:
    return ControlPlane()


@pytest.fixture
def server(plane: ControlPlane) -> Iterator[ApiServer]:
    with ApiServer(plane) as srv:
        yield srv


@pytest.fixture
def elbv2(server: ApiServer) -> Any:
    return boto3.client(
        "elbv2",
        endpoint_url=server.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return excinfo.value.response["Error"]["Code"]


def target_group(elbv2: Any, name: str = "web", **extra: Any) -> dict[str, Any]:
    return elbv2.create_target_group(
        Name=name, Protocol="HTTP", Port=8080, VpcId="vpc-1", TargetType="ip", **extra
    )["TargetGroups"][0]


def attach(elbv2: Any, tg_arn: str) -> str:
    lb = elbv2.create_load_balancer(Name="front", Subnets=["subnet-a", "subnet-b"])
    lb_arn = lb["LoadBalancers"][0]["LoadBalancerArn"]
    elbv2.create_listener(
        LoadBalancerArn=lb_arn,
        Port=80,
        Protocol="HTTP",
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn}],
    )
    return lb_arn


def test_target_group_has_aws_default_health_check(elbv2: Any) -> None:
    tg = target_group(elbv2)
    assert tg["TargetGroupArn"].startswith(
        "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/"
    )
    assert (
        tg["HealthCheckIntervalSeconds"],
        tg["HealthCheckTimeoutSeconds"],
        tg["HealthyThresholdCount"],
        tg["UnhealthyThresholdCount"],
    ) == (30, 5, 5, 2)
    assert (tg["HealthCheckPath"], tg["Matcher"], tg["HealthCheckPort"]) == (
        "/",
        {"HttpCode": "200"},
        "traffic-port",
    )
    custom = target_group(
        elbv2,
        "api",
        HealthCheckPath="/ping",
        HealthCheckIntervalSeconds=10,
        Matcher={"HttpCode": "200-299"},
    )
    described = elbv2.describe_target_groups(Names=["api"])["TargetGroups"][0]
    assert described == custom
    assert (described["HealthCheckPath"], described["HealthCheckIntervalSeconds"]) == ("/ping", 10)


def test_target_group_name_rules(elbv2: Any) -> None:
    first = target_group(elbv2)
    assert target_group(elbv2) == first  # same settings: AWS returns the existing group
    with pytest.raises(ClientError) as excinfo:
        target_group(elbv2, HealthCheckPath="/other")
    assert code(excinfo) == "DuplicateTargetGroupName"
    with pytest.raises(ClientError) as excinfo:
        target_group(elbv2, "-bad-name-")
    assert code(excinfo) == "ValidationError"
    with pytest.raises(ClientError) as excinfo:
        elbv2.describe_target_groups(TargetGroupArns=[first["TargetGroupArn"] + "0"])
    assert code(excinfo) == "TargetGroupNotFound"
    assert excinfo.value.response["Error"]["Type"] == "Sender"


def test_deregistration_delay_attribute(elbv2: Any) -> None:
    arn = target_group(elbv2)["TargetGroupArn"]
    attrs = elbv2.describe_target_group_attributes(TargetGroupArn=arn)["Attributes"]
    assert {"Key": "deregistration_delay.timeout_seconds", "Value": "300"} in attrs
    changed = elbv2.modify_target_group_attributes(
        TargetGroupArn=arn,
        Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "5"}],
    )["Attributes"]
    assert {"Key": "deregistration_delay.timeout_seconds", "Value": "5"} in changed
    for bad in ("3601", "-1", "soon"):
        with pytest.raises(ClientError) as excinfo:
            elbv2.modify_target_group_attributes(
                TargetGroupArn=arn,
                Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": bad}],
            )
        assert code(excinfo) == "ValidationError"
        assert "0 to 3600" in excinfo.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as excinfo:
        elbv2.modify_target_group_attributes(
            TargetGroupArn=arn, Attributes=[{"Key": "made.up", "Value": "1"}]
        )
    assert code(excinfo) == "ValidationError"


def test_load_balancer_and_listener(elbv2: Any) -> None:
    tg = target_group(elbv2)["TargetGroupArn"]
    lb_arn = attach(elbv2, tg)
    lb = elbv2.describe_load_balancers(Names=["front"])["LoadBalancers"][0]
    assert lb["LoadBalancerArn"] == lb_arn and lb["State"] == {"Code": "active"}
    assert lb["CreatedTime"].year >= 2024  # an ISO 8601 timestamp parsed by botocore
    [listener] = elbv2.describe_listeners(LoadBalancerArn=lb_arn)["Listeners"]
    # AWS describes the TargetGroupArn shortcut with its ForwardConfig (weight 1) too
    assert listener["DefaultActions"] == [
        {
            "Type": "forward",
            "Order": 1,
            "TargetGroupArn": tg,
            "ForwardConfig": {
                "TargetGroups": [{"TargetGroupArn": tg, "Weight": 1}],
                "TargetGroupStickinessConfig": {"Enabled": False},
            },
        }
    ]
    assert elbv2.describe_target_groups(TargetGroupArns=[tg])["TargetGroups"][0][
        "LoadBalancerArns"
    ] == [lb_arn]
    assert [
        g["TargetGroupArn"]
        for g in elbv2.describe_target_groups(LoadBalancerArn=lb_arn)["TargetGroups"]
    ] == [tg]
    with pytest.raises(ClientError) as excinfo:
        elbv2.create_listener(
            LoadBalancerArn=lb_arn,
            Port=80,
            Protocol="HTTP",
            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}],
        )
    assert code(excinfo) == "DuplicateListener"
    with pytest.raises(ClientError) as excinfo:
        elbv2.describe_load_balancers(Names=["nope"])
    assert code(excinfo) == "LoadBalancerNotFound"


def test_target_health_lifecycle(elbv2: Any, plane: ControlPlane) -> None:
    tg = target_group(elbv2)["TargetGroupArn"]
    elbv2.register_targets(TargetGroupArn=tg, Targets=[{"Id": "10.0.0.5"}])

    def health() -> dict[str, Any]:
        [only] = elbv2.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
        return only["TargetHealth"]

    assert (health()["State"], health()["Reason"]) == ("unused", "Target.NotInUse")
    attach(elbv2, tg)
    assert (health()["State"], health()["Reason"]) == ("initial", "Elb.RegistrationInProgress")
    with plane.lock:  # what the balancer does after failed checks
        plane.elbv2.set_target_health(
            tg,
            "10.0.0.5",
            8080,
            "unhealthy",
            "Target.ResponseCodeMismatch",
            response_code_mismatch_description([502]),
        )
    assert health() == {
        "State": "unhealthy",
        "Reason": "Target.ResponseCodeMismatch",
        "Description": "Health checks failed with these codes: [502]",
    }
    with plane.lock:
        plane.elbv2.set_target_health(tg, "10.0.0.5", 8080, "healthy")
    assert health() == {"State": "healthy"}

    elbv2.deregister_targets(TargetGroupArn=tg, Targets=[{"Id": "10.0.0.5"}])
    assert (health()["State"], health()["Reason"]) == (
        "draining",
        "Target.DeregistrationInProgress",
    )
    with plane.lock:  # the delay is timed by HAProxy's driver (tests/ecs/haproxy/test_driver.py)
        assert plane.elbv2.finish_draining(tg, "10.0.0.5", 8080) is not None
    assert elbv2.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"] == []
    with pytest.raises(ClientError) as excinfo:
        elbv2.deregister_targets(TargetGroupArn=tg, Targets=[{"Id": "10.0.0.5"}])
    assert code(excinfo) == "InvalidTarget"


def _raw_query(server: ApiServer, form: dict[str, str]) -> tuple[int, ET.Element]:
    request = urllib.request.Request(
        server.endpoint_url, method="POST", data=urllib.parse.urlencode(form).encode()
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, ET.fromstring(response.read())
    except urllib.error.HTTPError as error:
        return error.code, ET.fromstring(error.read())


def test_query_protocol_errors_are_aws_xml(server: ApiServer) -> None:
    status, root = _raw_query(server, {"Action": "LaunchRockets", "Version": "2015-12-01"})
    assert status == 400 and root.tag == f"{{{NS['e']}}}ErrorResponse"
    assert root.findtext("e:Error/e:Type", namespaces=NS) == "Sender"
    assert root.findtext("e:Error/e:Code", namespaces=NS) == "InvalidAction"
    assert root.findtext("e:RequestId", namespaces=NS)

    status, root = _raw_query(
        server,
        {"Action": "CreateTargetGroup", "Version": "2015-12-01", "Name": "x", "Port": "eighty"},
    )
    assert status == 400
    assert root.findtext("e:Error/e:Code", namespaces=NS) == "ValidationError"
    assert "Port" in (root.findtext("e:Error/e:Message", namespaces=NS) or "")

    status, root = _raw_query(
        server,
        {
            "Action": "CreateTargetGroup",
            "Version": "2015-12-01",
            "Name": "x",
            "Protocol": "SMTP",
            "Port": "25",
        },
    )
    assert status == 400 and "SMTP" in (root.findtext("e:Error/e:Message", namespaces=NS) or "")


def test_success_xml_has_result_and_request_id(server: ApiServer) -> None:
    status, root = _raw_query(server, {"Action": "DescribeTargetGroups", "Version": "2015-12-01"})
    assert status == 200 and root.tag == f"{{{NS['e']}}}DescribeTargetGroupsResponse"
    assert root.find("e:DescribeTargetGroupsResult/e:TargetGroups", NS) is not None
    assert root.findtext("e:ResponseMetadata/e:RequestId", namespaces=NS)
