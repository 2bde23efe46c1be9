"""Request rules of the deployment strategies: AWS's defaults, ranges and pairings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.ecs.control_plane.deployment_strategies import (
    advanced_configuration,
    check_strategy_load_balancers,
    describe_strategy,
    lifecycle_hook,
    strategy_fields,
)
from harness.ecs.control_plane.errors import InvalidParameterException
from harness.ecs.control_plane.listener_rules import ListenerRuleView
from harness.ecs.control_plane.services import deployment_configuration
from harness.ecs.domain import (
    AdvancedConfiguration,
    CanaryConfiguration,
    DeploymentConfiguration,
    DeploymentStrategy,
    HookAction,
    HookTargetType,
    LifecycleStage,
    LinearConfiguration,
    ServiceLoadBalancer,
)

LAMBDA = "arn:aws:lambda:us-east-1:000000000000:function:check-model"
ROLE = "arn:aws:iam::000000000000:role/ecs-hooks"
BLUE = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/blue/1"
GREEN = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/green/2"
LB = "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/lb/3"
RULE = "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener-rule/app/lb/3/4/5"
TEST_RULE = "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener-rule/app/lb/3/4/6"


def refused(request: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidParameterException, match=match):
        deployment_configuration(request)


def test_rolling_is_the_default_and_shown() -> None:
    config = deployment_configuration({})
    assert config.strategy == DeploymentStrategy.ROLLING
    assert describe_strategy(config) == {"strategy": "ROLLING"}


def test_linear_defaults_fill_what_the_request_leaves_out() -> None:
    config = deployment_configuration(
        {"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 25.0}}
    )
    assert config.linear_configuration == LinearConfiguration(25.0, 6)
    assert describe_strategy(config)["linearConfiguration"] == {
        "stepPercent": 25.0,
        "stepBakeTimeInMinutes": 6,
    }


def test_canary_defaults() -> None:
    config = deployment_configuration({"strategy": "CANARY", "canaryConfiguration": {}})
    assert config.canary_configuration == CanaryConfiguration(5.0, 10)


@pytest.mark.parametrize(
    ("request_", "match"),
    [
        ({"strategy": "ROLLING", "linearConfiguration": {}}, "only valid when .* LINEAR"),
        ({"strategy": "LINEAR", "canaryConfiguration": {}}, "only valid when .* CANARY"),
        ({"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 2.9}}, "between 3 and"),
        ({"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 10.05}}, "multiple of"),
        ({"strategy": "CANARY", "canaryConfiguration": {"canaryPercent": 0.0}}, "between 0.1"),
        (
            {"strategy": "CANARY", "canaryConfiguration": {"canaryBakeTimeInMinutes": 1441}},
            "canaryBakeTimeInMinutes must be between 0 and 1440",
        ),
        ({"strategy": "BLUE_GREEN", "bakeTimeInMinutes": -1}, "bakeTimeInMinutes"),
        ({"alarms": {"alarmNames": [], "enable": True, "rollback": True}}, "at least one"),
        ({"alarms": {"alarmNames": ["a", "a"], "enable": True, "rollback": False}}, "duplicate"),
        (
            {"lifecycleHooks": [{"targetType": "PAUSE", "lifecycleStages": ["PRE_SCALE_UP"]}]},
            "only valid for the BLUE_GREEN, LINEAR and CANARY",
        ),
    ],
)
def test_refusals_name_the_member(request_: dict[str, Any], match: str) -> None:
    refused(request_, match)


def test_update_keeps_what_it_does_not_name_and_drops_the_old_strategys_settings() -> None:
    base = deployment_configuration(
        {
            "strategy": "LINEAR",
            "linearConfiguration": {"stepPercent": 20.0},
            "bakeTimeInMinutes": 3,
            "alarms": {"alarmNames": ["five-xx"], "enable": True, "rollback": True},
        }
    )
    same = deployment_configuration({"maximumPercent": 150}, base)
    assert (same.strategy, same.linear_configuration, same.bake_time_in_minutes) == (
        DeploymentStrategy.LINEAR,
        LinearConfiguration(20.0, 6),
        3,
    )
    assert same.alarms.alarm_names == ("five-xx",)
    moved = deployment_configuration({"strategy": "CANARY"}, base)
    assert moved.linear_configuration is None
    assert moved.strategy == DeploymentStrategy.CANARY


def test_a_lambda_hook_needs_a_function_arn_and_a_role() -> None:
    hook = lifecycle_hook(
        {
            "hookTargetArn": LAMBDA,
            "roleArn": ROLE,
            "lifecycleStages": ["POST_SCALE_UP", "PRODUCTION_TRAFFIC_SHIFT"],
            "hookDetails": {"threshold": 0.9},
            "timeoutConfiguration": {"timeoutInMinutes": 5, "action": "CONTINUE"},
        },
        0,
    )
    assert hook.target_type == HookTargetType.AWS_LAMBDA  # AWS's default
    assert hook.lifecycle_stages == (
        LifecycleStage.POST_SCALE_UP,
        LifecycleStage.PRODUCTION_TRAFFIC_SHIFT,
    )
    assert (hook.timeout_in_minutes, hook.timeout_action) == (5, HookAction.CONTINUE)
    with pytest.raises(InvalidParameterException, match=r"lifecycleHooks\[2\].hookTargetArn"):
        lifecycle_hook({"roleArn": ROLE, "lifecycleStages": ["PRE_SCALE_UP"]}, 2)
    with pytest.raises(InvalidParameterException, match="not a Lambda function ARN"):
        lifecycle_hook(
            {
                "hookTargetArn": "arn:aws:sns:us-east-1:000000000000:topic",
                "roleArn": ROLE,
                "lifecycleStages": ["PRE_SCALE_UP"],
            },
            0,
        )
    with pytest.raises(InvalidParameterException, match="roleArn is required"):
        lifecycle_hook({"hookTargetArn": LAMBDA, "lifecycleStages": ["PRE_SCALE_UP"]}, 0)


@pytest.mark.parametrize("stage", ["TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT"])
def test_pause_hooks_cannot_wait_at_the_traffic_shifts(stage: str) -> None:
    with pytest.raises(InvalidParameterException, match=f"PAUSE hooks cannot .*{stage}"):
        lifecycle_hook({"targetType": "PAUSE", "lifecycleStages": [stage]}, 0)


def test_pause_hooks_take_no_target_and_any_other_stage() -> None:
    with pytest.raises(InvalidParameterException, match="not applicable to a PAUSE"):
        lifecycle_hook(
            {"targetType": "PAUSE", "hookTargetArn": LAMBDA, "lifecycleStages": ["PRE_SCALE_UP"]},
            0,
        )
    hook = lifecycle_hook(
        {"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}, 0
    )
    assert hook.hook_target_arn == ""


@pytest.mark.parametrize(
    ("target", "minutes", "match"),
    [
        ("PAUSE", 0, "between 1 and 20160"),
        ("PAUSE", 20161, "between 1 and 20160"),
        ("AWS_LAMBDA", 1441, "between 1 and 1440 for a AWS_LAMBDA hook"),
    ],
)
def test_hook_timeouts_are_bounded(target: str, minutes: int, match: str) -> None:
    request: dict[str, Any] = {
        "targetType": target,
        "lifecycleStages": ["PRE_SCALE_UP"],
        "timeoutConfiguration": {"timeoutInMinutes": minutes},
    }
    if target == "AWS_LAMBDA":
        request |= {"hookTargetArn": LAMBDA, "roleArn": ROLE}
    with pytest.raises(InvalidParameterException, match=match):
        lifecycle_hook(request, 0)
    request["timeoutConfiguration"]["timeoutInMinutes"] = 1440
    assert lifecycle_hook(request, 0).timeout_in_minutes == 1440


@given(st.integers(min_value=-100, max_value=1100))
def test_step_percent_accepts_exactly_tenths_from_3_to_100(tenths: int) -> None:
    percent = float(Decimal(tenths) / 10)
    request = {"strategy": "LINEAR", "linearConfiguration": {"stepPercent": percent}}
    if 30 <= tenths <= 1000:
        assert strategy_fields(request, DeploymentConfiguration())[
            "linear_configuration"
        ] == LinearConfiguration(percent, 6)
    else:
        with pytest.raises(InvalidParameterException):
            strategy_fields(request, DeploymentConfiguration())


@given(st.floats(min_value=0.1, max_value=100.0, allow_nan=False))
def test_canary_percent_off_the_tenths_grid_is_refused(percent: float) -> None:
    request = {"strategy": "CANARY", "canaryConfiguration": {"canaryPercent": percent}}
    on_grid = Decimal(str(percent)) % Decimal("0.1") == 0
    if on_grid:
        assert strategy_fields(request, DeploymentConfiguration())["canary_configuration"]
    else:
        with pytest.raises(InvalidParameterException, match=r"multiple of 0\.1"):
            strategy_fields(request, DeploymentConfiguration())


# --- advancedConfiguration ---------------------------------------------------------------


def rules(*known: ListenerRuleView) -> Any:
    table = {r.arn: r for r in known}
    return table.get


def advanced(request: dict[str, Any], lookup: Any = None) -> AdvancedConfiguration | None:
    lookup = lookup or rules(ListenerRuleView(RULE, "listener", LB, (BLUE, GREEN)))
    return advanced_configuration(request, BLUE, [LB], lambda arn: arn in (BLUE, GREEN), lookup)


def test_advanced_configuration_checked_and_kept() -> None:
    config = advanced(
        {"alternateTargetGroupArn": GREEN, "productionListenerRule": RULE, "roleArn": ROLE}
    )
    assert config == AdvancedConfiguration(GREEN, RULE, None, ROLE)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"alternateTargetGroupArn": BLUE}, "must differ from targetGroupArn"),
        ({"alternateTargetGroupArn": GREEN + "x"}, "Unable to find target group"),
        ({"productionListenerRule": RULE + "9"}, "does not exist"),
        ({"roleArn": "role"}, "not an IAM role ARN"),
        ({"roleArn": ""}, "roleArn is required"),
        ({"testListenerRule": RULE}, "must differ from productionListenerRule"),
        ({"testListenerRule": TEST_RULE}, "testListenerRule .* does not exist"),
    ],
)
def test_advanced_configuration_refusals(change: dict[str, str], match: str) -> None:
    request = {
        "alternateTargetGroupArn": GREEN,
        "productionListenerRule": RULE,
        "roleArn": ROLE,
        **change,
    }
    with pytest.raises(InvalidParameterException, match=match):
        advanced(request)


def test_strategies_that_shift_traffic_need_advanced_configuration() -> None:
    plain = (ServiceLoadBalancer(BLUE, "app", 8080),)
    shifted = (ServiceLoadBalancer(BLUE, "app", 8080, AdvancedConfiguration(GREEN, RULE)),)
    check_strategy_load_balancers(DeploymentConfiguration(), plain)
    for strategy in ("BLUE_GREEN", "LINEAR", "CANARY"):
        config = deployment_configuration({"strategy": strategy})
        with pytest.raises(InvalidParameterException, match="advancedConfiguration"):
            check_strategy_load_balancers(config, plain)
        check_strategy_load_balancers(config, shifted)
    with pytest.raises(InvalidParameterException, match="requires a load balancer"):
        check_strategy_load_balancers(deployment_configuration({"strategy": "CANARY"}), ())


@given(
    st.sampled_from(["AWS_LAMBDA", "PAUSE"]),
    st.lists(st.sampled_from([s.value for s in LifecycleStage]), max_size=4),
)
def test_hook_stages_accepted_exactly_where_aws_allows(target: str, stages: list[str]) -> None:
    request: dict[str, Any] = {"targetType": target, "lifecycleStages": stages}
    if target == "AWS_LAMBDA":
        request |= {"hookTargetArn": LAMBDA, "roleArn": ROLE}
    reported_only = {"SCALE_UP", "BAKE_TIME", "CLEAN_UP"}
    lambda_only = {"TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT"}
    allowed = (
        bool(stages)
        and len(set(stages)) == len(stages)
        and not set(stages) & reported_only
        and not (target == "PAUSE" and set(stages) & lambda_only)
    )
    if allowed:
        assert [str(s) for s in lifecycle_hook(request, 0).lifecycle_stages] == stages
    else:
        with pytest.raises(InvalidParameterException, match=r"lifecycleHooks\[0\]"):
            lifecycle_hook(request, 0)
