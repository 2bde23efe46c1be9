"""The kit's TrafficShifting gives a deploymentConfiguration the control plane accepts,
with what each strategy needs; the emulator's own request rules judge it."""

from __future__ import annotations

import pytest

from harness.ecs.control_plane.services import deployment_configuration
from harness.ecs.domain import DeploymentStrategy
from harness.pipeline.load_balanced_service import TargetGroupSpec
from harness.testing.traffic_shifting import (
    ROLE_ARN,
    BlueGreenRouting,
    TrafficShifting,
    create_routing,
)

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


class RecordingElbv2:
    """Just the ELBv2 calls create_routing makes, answered as ELBv2 answers them."""

    def __init__(self) -> None:
        self.rules: list[dict] = []
        self.listeners = [{"Port": 8080, "ListenerArn": "arn:listener/prod"}]

    def describe_target_groups(self) -> dict:
        return {"TargetGroups": []}

    def create_target_group(self, **request: object) -> dict:
        return {"TargetGroups": [{"TargetGroupArn": f"arn:tg/{request['Name']}"}]}

    def modify_target_group_attributes(self, **request: object) -> dict:
        return {}

    def create_listener(self, **request: object) -> dict:
        listener = {"Port": request["Port"], "ListenerArn": f"arn:listener/{request['Port']}"}
        self.listeners.append(listener)
        return {"Listeners": [listener]}

    def describe_listeners(self, **request: object) -> dict:
        return {"Listeners": self.listeners}

    def create_rule(self, **request: object) -> dict:
        self.rules.append(request)
        return {"Rules": [{"RuleArn": f"arn:rule/{len(self.rules)}"}]}


def test_both_rules_forward_to_blue_and_green_so_shifts_never_change_the_layout() -> None:
    elbv2 = RecordingElbv2()
    routing = create_routing(
        elbv2,
        "arn:lb",
        8080,
        "arn:tg/blue",
        TargetGroupSpec(name="g", port=8080, health_check_path="/ready"),
    )
    assert routing.alternate_target_group_arn == "arn:tg/g"
    assert [r["ListenerArn"] for r in elbv2.rules] == ["arn:listener/prod", "arn:listener/8081"]
    for rule in elbv2.rules:
        groups = rule["Actions"][0]["ForwardConfig"]["TargetGroups"]
        assert groups == [
            {"TargetGroupArn": "arn:tg/blue", "Weight": 100},
            {"TargetGroupArn": "arn:tg/g", "Weight": 0},
        ]
    assert (routing.production_listener_rule, routing.test_listener_rule) == (
        "arn:rule/1",
        "arn:rule/2",
    )
