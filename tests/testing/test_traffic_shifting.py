"""The kit's TrafficShifting gives a deploymentConfiguration the control plane accepts,
with what each strategy needs; the emulator's own request rules judge it."""

from __future__ import annotations

import pytest

from harness.ecs.control_plane.services import deployment_configuration
from harness.ecs.domain import DeploymentStrategy
from harness.testing.traffic_shifting import ROLE_ARN, BlueGreenRouting, TrafficShifting

ROLLING = {"minimumHealthyPercent": 100, "maximumPercent": 200}


@pytest.mark.parametrize("strategy", ["BLUE_GREEN", "LINEAR", "CANARY"])
def test_each_strategy_is_a_configuration_ecs_accepts(strategy: str) -> None:
    shifting = TrafficShifting(strategy, bake_time_in_minutes=2, canary_percent=10.0,
                               linear_step_percent=25.0)  # fmt: skip
    request = shifting.deployment_configuration(ROLLING)
    parsed = deployment_configuration(request)
    assert parsed.strategy is DeploymentStrategy(strategy)
    assert parsed.bake_time_in_minutes == 2
    assert ("canaryConfiguration" in request) == (strategy == "CANARY")
    assert ("linearConfiguration" in request) == (strategy == "LINEAR")
    assert request["minimumHealthyPercent"] == 100


def test_hooks_and_alarms_are_passed_as_aws_names_them() -> None:
    hook = {"targetType": "PAUSE", "lifecycleStages": ["POST_SCALE_UP"]}
    shifting = TrafficShifting("CANARY", lifecycle_hooks=[hook], alarm_names=["green-5xx"])
    request = shifting.deployment_configuration(ROLLING)
    assert request["alarms"] == {"alarmNames": ["green-5xx"], "enable": True, "rollback": True}
    assert request["lifecycleHooks"] == [hook]
    parsed = deployment_configuration(request)
    assert parsed.alarms is not None and parsed.alarms.alarm_names == ("green-5xx",)


def test_the_routing_names_every_advanced_configuration_member() -> None:
    routing = BlueGreenRouting("arn:tg/green", "arn:rule/prod", "arn:rule/test")
    assert routing.advanced_configuration() == {
        "alternateTargetGroupArn": "arn:tg/green",
        "productionListenerRule": "arn:rule/prod",
        "testListenerRule": "arn:rule/test",
        "roleArn": ROLE_ARN,
    }
