"""A restarted control plane replays its journal: clusters, task definitions, target
groups, listeners and services come back with the same ARNs; reads are not kept."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from harness.ecs.api import ApiServer
from harness.ecs.control_plane import ControlPlane
from harness.ecs.control_plane.journal import Journal


def _clients(server: ApiServer) -> tuple[Any, Any]:
    common = {
        "endpoint_url": server.endpoint_url,
        "region_name": "us-east-1",
        "aws_access_key_id": "test",
        "aws_secret_access_key": "test",
    }
    return boto3.client("ecs", **common), boto3.client("elbv2", **common)


def _journaled(path: Path) -> ControlPlane:
    journal = Journal(path)
    plane = ControlPlane()
    journal.replay(plane)
    plane.recorder = journal.record
    return plane


@pytest.fixture
def journal_path(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "journal.jsonl"


def test_a_restart_keeps_services_and_their_load_balancing(journal_path: Path) -> None:
    with ApiServer(_journaled(journal_path)) as first:
        ecs, elbv2 = _clients(first)
        group = elbv2.create_target_group(Name="web", Protocol="HTTP", Port=80, VpcId="vpc-1")[
            "TargetGroups"
        ][0]
        elbv2.modify_target_group_attributes(
            TargetGroupArn=group["TargetGroupArn"],
            Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "7"}],
        )
        balancer = elbv2.create_load_balancer(Name="alb", Subnets=["s-1"])["LoadBalancers"][0]
        elbv2.create_listener(
            LoadBalancerArn=balancer["LoadBalancerArn"],
            Protocol="HTTP",
            Port=80,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}],
        )
        ecs.create_cluster(clusterName="prod")
        for image in ("img:1", "img:2"):
            ecs.register_task_definition(
                family="web",
                containerDefinitions=[
                    {
                        "name": "app",
                        "image": image,
                        "memory": 128,
                        "portMappings": [{"containerPort": 8080}],
                    }
                ],
            )
        ecs.create_service(
            cluster="prod",
            serviceName="api",
            taskDefinition="web:1",
            desiredCount=2,
            loadBalancers=[
                {
                    "targetGroupArn": group["TargetGroupArn"],
                    "containerName": "app",
                    "containerPort": 8080,
                }
            ],
        )
        ecs.update_service(cluster="prod", service="api", taskDefinition="web:2", desiredCount=3)
        ecs.describe_services(cluster="prod", services=["api"])

    with ApiServer(_journaled(journal_path)) as second:
        ecs, elbv2 = _clients(second)
        service = ecs.describe_services(cluster="prod", services=["api"])["services"][0]
        assert service["taskDefinition"].endswith("task-definition/web:2")
        assert service["desiredCount"] == 3
        assert service["loadBalancers"][0]["targetGroupArn"] == group["TargetGroupArn"]
        attributes = elbv2.describe_target_group_attributes(TargetGroupArn=group["TargetGroupArn"])[
            "Attributes"
        ]
        assert {"Key": "deregistration_delay.timeout_seconds", "Value": "7"} in attributes
        listeners = elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])
        assert [listener["Port"] for listener in listeners["Listeners"]] == [80]
        registered = ecs.register_task_definition(
            family="web", containerDefinitions=[{"name": "app", "image": "img:3", "memory": 128}]
        )
        assert registered["taskDefinition"]["revision"] == 3, "revisions are never reused"

    operations = [
        line.split('"op": "')[1].split('"')[0] for line in journal_path.read_text().splitlines()
    ]
    assert "describe_services" not in operations
    assert operations.count("register_task_definition") == 3


def test_a_corrupt_journal_line_is_skipped_not_fatal(journal_path: Path) -> None:
    journal_path.write_text(
        '{"op": "create_cluster", "request": {"clusterName": "a"}}\n'
        "not json\n"
        '{"op": "create_cluster", "request": {"clusterName": "b"}}\n'
    )
    plane = ControlPlane()
    assert Journal(journal_path).replay(plane) == 2
    with ApiServer(plane) as server:
        ecs, _ = _clients(server)
        assert sorted(ecs.list_clusters()["clusterArns"]) == [
            "arn:aws:ecs:us-east-1:000000000000:cluster/a",
            "arn:aws:ecs:us-east-1:000000000000:cluster/b",
        ]
