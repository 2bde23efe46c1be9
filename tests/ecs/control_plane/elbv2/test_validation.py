"""ELBv2 input is judged once, in the control plane, with AWS's ``ValidationError``.

These cases were the HAProxy side's own validation (the old ``balancer/model.py``) before
the ELBv2 model had one home; the same bad settings are refused here now, before anything
reaches HAProxy. Lower bounds are botocore's, checked by the API layer.
"""

from __future__ import annotations

from typing import Any

import pytest

from harness.ecs.api.service_models import operation_model
from harness.ecs.api.validation import validation_errors
from harness.ecs.control_plane.elbv2.model import HealthCheck, TargetGroup
from harness.ecs.control_plane.elbv2.validation import (
    check_target_group_name,
    checked_attributes,
    health_check_from_request,
)
from harness.ecs.control_plane.errors import ValidationError


def test_defaults_are_albs() -> None:
    hc = health_check_from_request({}, "HTTP")
    assert hc == HealthCheck()
    assert (hc.interval_seconds, hc.timeout_seconds) == (30, 5)
    assert (hc.healthy_threshold, hc.unhealthy_threshold, hc.matcher) == (5, 2, "200")
    group = TargetGroup("web", "arn", "HTTP", 80, "vpc", "ip", hc)
    assert group.deregistration_delay.total_seconds() == 300.0


@pytest.mark.parametrize(
    ("request_", "named"),
    [
        ({"HealthCheckPath": "health"}, "health"),
        ({"HealthCheckPath": "/a b"}, "/a b"),
        ({"HealthCheckIntervalSeconds": 5, "HealthCheckTimeoutSeconds": 5}, "timeout (5)"),
        ({"Matcher": {"HttpCode": "2xx"}}, "2xx"),
    ],
)
def test_bad_health_checks_are_refused_with_a_reason(request_: dict[str, Any], named: str) -> None:
    with pytest.raises(ValidationError, match=named.replace("(", r"\(").replace(")", r"\)")):
        health_check_from_request(request_, "HTTP")


def test_a_threshold_under_albs_range_is_refused_by_the_api() -> None:
    shape = operation_model("elbv2", "CreateTargetGroup")
    assert shape is not None
    request = {"Name": "web", "Protocol": "HTTP", "Port": 80, "HealthyThresholdCount": 1}
    (problem,) = validation_errors(request, shape.input_shape)
    assert "HealthyThresholdCount" in problem


def test_a_threshold_over_albs_range_is_refused_here() -> None:
    """botocore checks lower bounds only."""
    with pytest.raises(ValidationError, match="UnhealthyThresholdCount must be from 2 to 10"):
        health_check_from_request({"UnhealthyThresholdCount": 11}, "HTTP")


@pytest.mark.parametrize("name", ["", "a" * 33, "web tier", "web/1", "-web"])
def test_bad_target_group_names_are_refused(name: str) -> None:
    with pytest.raises(ValidationError, match="Target group name"):
        check_target_group_name(name)


def test_attribute_changes_are_checked_all_before_any_applies() -> None:
    with pytest.raises(ValidationError, match="0 to 3600"):
        checked_attributes(
            [
                {"Key": "slow_start.duration_seconds", "Value": "30"},
                {"Key": "deregistration_delay.timeout_seconds", "Value": "9999"},
            ]
        )
    assert checked_attributes([{"Key": "stickiness.enabled", "Value": "true"}]) == {
        "stickiness.enabled": "true"
    }
