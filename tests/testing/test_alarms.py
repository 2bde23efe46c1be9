"""The kit's alarm helpers against a live local CloudWatch API (real boto3 client)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from harness.ecs.api import ApiServer
from harness.ecs.control_plane import ControlPlane
from harness.ecs.control_plane.cloudwatch import CloudWatchRegistry
from harness.testing.alarms import put_target_5xx_alarm, wait_for_alarm_state
from tests.ecs.api_clients import api_client

LB = "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/50dc6c495c0c9188"
TG = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/green/73e2d6bc24d8a067"


@pytest.fixture
def cloudwatch() -> Iterator[Any]:
    with ApiServer(ControlPlane(cloudwatch=CloudWatchRegistry())) as server:
        yield api_client("cloudwatch", server)


def test_the_target_5xx_alarm_watches_one_target_group(cloudwatch: Any) -> None:
    dimensions = put_target_5xx_alarm(cloudwatch, "green-5xx", LB, TG, threshold=5)
    assert dimensions == [
        {"Name": "LoadBalancer", "Value": "app/web/50dc6c495c0c9188"},
        {"Name": "TargetGroup", "Value": "targetgroup/green/73e2d6bc24d8a067"},
    ]
    [alarm] = cloudwatch.describe_alarms(AlarmNames=["green-5xx"])["MetricAlarms"]
    assert (alarm["Namespace"], alarm["MetricName"]) == (
        "AWS/ApplicationELB",
        "HTTPCode_Target_5XX_Count",
    )
    assert (alarm["Statistic"], alarm["Period"], alarm["Threshold"]) == ("Sum", 60, 5.0)
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["TreatMissingData"] == "notBreaching"
    assert sorted(alarm["Dimensions"], key=lambda d: d["Name"]) == dimensions


def test_waiting_for_a_state_returns_the_alarm_in_it_or_names_what_it_is(
    cloudwatch: Any,
) -> None:
    put_target_5xx_alarm(cloudwatch, "green-5xx", LB, TG, threshold=5)
    cloudwatch.set_alarm_state(AlarmName="green-5xx", StateValue="ALARM", StateReason="test")
    fired = wait_for_alarm_state(cloudwatch, "green-5xx", "ALARM", timeout_s=5)
    assert fired["StateReason"] == "test" and "StateUpdatedTimestamp" in fired
    with pytest.raises(AssertionError, match=r"green-5xx not OK in 0\.3 s"):
        wait_for_alarm_state(cloudwatch, "green-5xx", "OK", timeout_s=0.3)
