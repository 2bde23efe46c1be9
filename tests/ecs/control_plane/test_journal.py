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
from harness.ecs.control_plane.elbv2_operations import set_forward_weights
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
    assert "not json" not in journal_path.read_text(), "the bad line is set aside"
    with ApiServer(plane) as server:
        ecs, _ = _clients(server)
        assert sorted(ecs.list_clusters()["clusterArns"]) == [
            "arn:aws:ecs:us-east-1:000000000000:cluster/a",
            "arn:aws:ecs:us-east-1:000000000000:cluster/b",
        ]


def _set_aside(journal_path: Path) -> list[Path]:
    return sorted(journal_path.parent.glob(journal_path.name + ".set-aside-*"))


def test_a_refused_call_is_never_journaled(journal_path: Path) -> None:
    with ApiServer(_journaled(journal_path)) as server:
        ecs, _ = _clients(server)
        ecs.create_cluster(clusterName="prod")
        with pytest.raises(ecs.exceptions.InvalidParameterException):
            ecs.update_service(cluster="prod", service="nope", desiredCount=10**12)
        with pytest.raises(ecs.exceptions.ClusterNotFoundException):
            ecs.create_service(cluster="gone", serviceName="s", taskDefinition="x")
    assert [line for line in journal_path.read_text().splitlines()] == [
        '{"op": "create_cluster", "request": {"clusterName": "prod"}}'
    ]


def test_a_line_refused_now_is_skipped_reported_and_dropped_from_the_journal(
    journal_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cluster = '{"op": "create_cluster", "request": {"clusterName": "a"}}'
    journal_path.write_text(
        cluster + "\n"
        '{"op": "update_service", "request": {"cluster": "a", "service": "s", '
        '"desiredCount": 1000000000000}}\n'
    )
    with caplog.at_level("WARNING"):
        assert Journal(journal_path).replay(ControlPlane()) == 1
    (aside,) = _set_aside(journal_path)
    assert "desiredCount" in aside.read_text(), "the original is kept for a post-mortem"
    assert journal_path.read_text() == cluster + "\n", "the refused call is not replayed again"
    assert "line 2: refused now" in caplog.text and str(aside) in caplog.text
    assert Journal(journal_path).replay(ControlPlane()) == 1
    assert len(_set_aside(journal_path)) == 1, "a clean journal is not set aside again"


def test_a_journal_that_cannot_be_replayed_is_set_aside_not_fatal(
    journal_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = '{"op": "create_cluster", "request": {"clusterName": "a"}}'
    journal_path.write_text(
        first + "\n"
        '{"op": "create_cluster", "request": ["not", "a", "request"]}\n'
        '{"op": "create_cluster", "request": {"clusterName": "b"}}\n'
    )
    plane = ControlPlane()
    with caplog.at_level("WARNING"):
        assert Journal(journal_path).replay(plane) == 1
    assert [c.name for c in plane.clusters.active()] == ["a"], "replay stops at the failure"
    assert journal_path.read_text() == first + "\n"
    assert len(_set_aside(journal_path)) == 1
    assert "line 2: failed" in caplog.text


def test_a_journal_of_bytes_that_are_not_utf8_is_survived(journal_path: Path) -> None:
    journal_path.write_bytes(b'\xff\xfe{"op"\n{"op": "create_cluster", "request": {}}\n')
    plane = ControlPlane()
    assert Journal(journal_path).replay(plane) == 1
    assert [c.name for c in plane.clusters.active()] == ["default"]


def _blue_green_listener(elbv2: Any) -> tuple[list[str], str]:
    """Target groups blue and green, and a listener forwarding to blue."""
    tgs = [
        elbv2.create_target_group(Name=n, Protocol="HTTP", Port=80, VpcId="vpc-1")["TargetGroups"][
            0
        ]["TargetGroupArn"]
        for n in ("blue", "green")
    ]
    lb = elbv2.create_load_balancer(Name="alb")["LoadBalancers"][0]["LoadBalancerArn"]
    listener = elbv2.create_listener(
        LoadBalancerArn=lb, Port=80, DefaultActions=[{"Type": "forward", "TargetGroupArn": tgs[0]}]
    )["Listeners"][0]["ListenerArn"]
    return tgs, listener


def test_a_restart_keeps_listener_rules_their_arns_and_weights(journal_path: Path) -> None:
    with ApiServer(_journaled(journal_path)) as first:
        _, elbv2 = _clients(first)
        tgs, listener = _blue_green_listener(elbv2)
        path = [{"Field": "path-pattern", "Values": ["/a*"]}]
        gone = elbv2.create_rule(
            ListenerArn=listener,
            Priority=1,
            Conditions=path,
            Actions=[{"Type": "forward", "TargetGroupArn": tgs[0]}],
        )["Rules"][0]["RuleArn"]
        kept = elbv2.create_rule(
            ListenerArn=listener,
            Priority=2,
            Conditions=path,
            Actions=[{"Type": "forward", "TargetGroupArn": tgs[0]}],
        )["Rules"][0]["RuleArn"]
        elbv2.delete_rule(RuleArn=gone)
        elbv2.set_rule_priorities(RulePriorities=[{"RuleArn": kept, "Priority": 9}])
        groups = [
            {"TargetGroupArn": tgs[0], "Weight": 90},
            {"TargetGroupArn": tgs[1], "Weight": 10},
        ]
        elbv2.modify_rule(
            RuleArn=kept, Actions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": groups}}]
        )
        before = elbv2.describe_rules(ListenerArn=listener)["Rules"]

    with ApiServer(_journaled(journal_path)) as second:
        _, elbv2 = _clients(second)
        assert elbv2.describe_rules(ListenerArn=listener)["Rules"] == before
        assert [r["Priority"] for r in before] == ["9", "default"]


def test_a_traffic_shift_through_the_control_plane_survives_a_restart(journal_path: Path) -> None:
    with ApiServer(_journaled(journal_path)) as first:
        _, elbv2 = _clients(first)
        (blue, green), listener = _blue_green_listener(elbv2)
        default = elbv2.describe_rules(ListenerArn=listener)["Rules"][0]["RuleArn"]
        first.control_plane.call(
            set_forward_weights, {"RuleArn": default, "Weights": {blue: 20, green: 80}}
        )

    with ApiServer(_journaled(journal_path)) as second:
        _, elbv2 = _clients(second)
        [rule] = elbv2.describe_rules(ListenerArn=listener)["Rules"]
        assert rule["Actions"][0]["ForwardConfig"]["TargetGroups"] == [
            {"TargetGroupArn": blue, "Weight": 20},
            {"TargetGroupArn": green, "Weight": 80},
        ]
