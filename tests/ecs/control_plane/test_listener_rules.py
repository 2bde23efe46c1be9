"""The listener rule check behind advancedConfiguration, with a fake lookup, and the
lookup of the registry's rules (default rules included)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from harness.ecs.control_plane.elbv2.registry import Elbv2Registry
from harness.ecs.control_plane.errors import InvalidParameterException
from harness.ecs.control_plane.listener_rules import (
    ListenerRuleView,
    check_listener_rule,
    find_listener_rule,
)

BLUE, GREEN, OTHER = "tg/blue", "tg/green", "tg/other"
RULE = ListenerRuleView("rule/1", "listener/1", "lb/1", (BLUE, GREEN))


def lookup(arn: str) -> ListenerRuleView | None:
    return {RULE.arn: RULE}.get(arn)


def test_a_rule_forwarding_to_either_target_group_on_the_load_balancer_passes() -> None:
    assert check_listener_rule(lookup, "rule/1", "productionListenerRule", BLUE, GREEN, ["lb/1"])
    # after a deployment the groups swap roles: still the same rule
    assert check_listener_rule(lookup, "rule/1", "productionListenerRule", GREEN, BLUE, ["lb/1"])


def test_unknown_rule_other_balancer_and_other_groups_are_refused() -> None:
    with pytest.raises(InvalidParameterException, match="testListenerRule rule/9 does not exist"):
        check_listener_rule(lookup, "rule/9", "testListenerRule", BLUE, GREEN, ["lb/1"])
    with pytest.raises(InvalidParameterException, match="belongs to load balancer lb/1"):
        check_listener_rule(lookup, "rule/1", "productionListenerRule", BLUE, GREEN, ["lb/2"])
    with pytest.raises(InvalidParameterException, match="does not forward to target group"):
        check_listener_rule(lookup, "rule/1", "productionListenerRule", OTHER, "tg/x", ["lb/1"])


def test_the_registry_s_default_and_other_rules_are_found_with_their_target_groups() -> None:
    elbv2 = Elbv2Registry()
    blue, green = (
        elbv2.create_target_group(
            {"Name": name, "Protocol": "HTTP", "Port": 80, "VpcId": "vpc-1", "TargetType": "ip"}
        )
        for name in ("blue", "green")
    )
    balancer = elbv2.create_load_balancer(
        {"Name": "lb", "Subnets": ["s-1", "s-2"]}, datetime.now(UTC)
    )
    listener = elbv2.create_listener(
        {
            "LoadBalancerArn": balancer.arn,
            "Port": 80,
            "Protocol": "HTTP",
            "DefaultActions": [{"Type": "forward", "TargetGroupArn": blue.arn}],
        }
    )
    rule = elbv2.create_rule(
        {
            "ListenerArn": listener.arn,
            "Priority": 10,
            "Conditions": [{"Field": "path-pattern", "Values": ["/v2/*"]}],
            "Actions": [{"Type": "forward", "TargetGroupArn": green.arn}],
        }
    )
    default = find_listener_rule(elbv2, listener.default_rule_arn)
    assert default == ListenerRuleView(
        listener.default_rule_arn, listener.arn, balancer.arn, (blue.arn,)
    )
    assert find_listener_rule(elbv2, rule.arn) == ListenerRuleView(
        rule.arn, listener.arn, balancer.arn, (green.arn,)
    )
    assert find_listener_rule(elbv2, listener.arn) is None  # a listener is not a rule
    assert find_listener_rule(elbv2, rule.arn + "0") is None
