"""A target group's targets: draining ends when the one draining clock says so."""

from __future__ import annotations

from datetime import UTC, datetime

from harness.ecs.control_plane.elbv2 import targets
from harness.ecs.control_plane.elbv2.model import HealthCheck, TargetGroup
from harness.ecs.control_plane.elbv2.target_health import TargetHealthReason, TargetHealthState

NOW = datetime(2026, 1, 1, tzinfo=UTC)
TARGET = [{"Id": "10.0.0.5", "Port": 8080}]


def _group() -> TargetGroup:
    group = TargetGroup("web", "arn:tg/web", "HTTP", 8080, "vpc", "ip", HealthCheck())
    group.load_balancer_arns.append("arn:lb")
    return group


def test_finish_draining_removes_only_a_draining_target() -> None:
    group = _group()
    targets.register(group, TARGET, NOW)
    assert targets.finish_draining(group, "10.0.0.5", 8080) is None, "not draining: stays"
    targets.deregister(group, TARGET, NOW)
    assert group.targets[("10.0.0.5", 8080)].state is TargetHealthState.DRAINING
    removed = targets.finish_draining(group, "10.0.0.5", 8080)
    assert removed is not None and removed.id == "10.0.0.5"
    assert group.targets == {}
    assert targets.finish_draining(group, "10.0.0.5", 8080) is None


def test_a_target_registered_again_while_draining_survives_the_old_drain() -> None:
    group = _group()
    targets.register(group, TARGET, NOW)
    targets.deregister(group, TARGET, NOW)
    targets.register(group, TARGET, NOW)  # a new registration replaces the draining one
    assert targets.finish_draining(group, "10.0.0.5", 8080) is None
    assert group.targets[("10.0.0.5", 8080)].state is TargetHealthState.INITIAL


def test_health_results_take_the_enums_and_awss_descriptions() -> None:
    group = _group()
    targets.register(group, TARGET, NOW)
    targets.set_health(group, "10.0.0.5", 8080, "unhealthy", "Target.Timeout")
    target = group.targets[("10.0.0.5", 8080)]
    assert target.state is TargetHealthState.UNHEALTHY
    assert target.reason is TargetHealthReason.TIMEOUT
    assert target.description == "Request timed out"
    [described] = targets.describe_health(group, None)
    assert described["TargetHealth"] == {
        "State": "unhealthy",
        "Reason": "Target.Timeout",
        "Description": "Request timed out",
    }
