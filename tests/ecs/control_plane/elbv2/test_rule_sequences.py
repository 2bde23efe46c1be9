"""Any sequence of rule calls keeps a listener's rules in AWS's invariants (hypothesis).

Refused calls change nothing; accepted ones leave priorities unique, DescribeRules in
priority order with the default rule last, every forwarded target group associated with
the load balancer and every weight within 0..999 with someone receiving traffic.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.ecs.control_plane import ELBV2_OPERATIONS, ControlPlane, ControlPlaneError
from harness.ecs.control_plane.elbv2.rules import forward_weights


def plane_with_listener() -> tuple[ControlPlane, str, list[str]]:
    plane = ControlPlane()
    groups = [
        plane.call(
            ELBV2_OPERATIONS["CreateTargetGroup"],
            {"Name": name, "Protocol": "HTTP", "Port": 80, "TargetType": "ip"},
        )["TargetGroups"][0]["TargetGroupArn"]
        for name in ("blue", "green", "spare")
    ]
    lb = plane.call(ELBV2_OPERATIONS["CreateLoadBalancer"], {"Name": "lb"})["LoadBalancers"][0]
    listener = plane.call(
        ELBV2_OPERATIONS["CreateListener"],
        {
            "LoadBalancerArn": lb["LoadBalancerArn"],
            "Port": 80,
            "DefaultActions": [{"Type": "forward", "TargetGroupArn": groups[0]}],
        },
    )["Listeners"][0]["ListenerArn"]
    return plane, listener, groups


PRIORITIES = st.integers(1, 6)
WEIGHTS = st.lists(st.integers(-1, 1000), min_size=1, max_size=3)
CONDITIONS = st.sampled_from(
    [
        [{"Field": "path-pattern", "Values": ["/a*"]}],
        [{"Field": "host-header", "Values": ["*.example.com"]}],
        [{"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-V", "Values": ["b"]}}],
        [],
    ]
)
STEPS = st.one_of(
    st.tuples(st.just("create"), PRIORITIES, CONDITIONS, WEIGHTS),
    st.tuples(st.just("modify"), st.integers(0, 5), CONDITIONS, WEIGHTS),
    st.tuples(st.just("delete"), st.integers(0, 5)),
    st.tuples(
        st.just("priorities"), st.lists(st.tuples(st.integers(0, 5), PRIORITIES), max_size=3)
    ),
    st.tuples(st.just("weights"), st.integers(0, 5), WEIGHTS),
)


def actions(groups: list[str], weights: list[int]) -> list[dict[str, Any]]:
    listed = [{"TargetGroupArn": g, "Weight": w} for g, w in zip(groups, weights, strict=False)]
    return [{"Type": "forward", "ForwardConfig": {"TargetGroups": listed}}]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(STEPS, max_size=15))
def test_rule_invariants_hold_after_any_sequence(steps: list[tuple[Any, ...]]) -> None:
    plane, listener, groups = plane_with_listener()
    rules: list[str] = [plane.elbv2.listener(listener).default_rule_arn]

    def pick(index: int) -> str:
        return rules[index % len(rules)]

    for step in steps:
        before = plane.elbv2.describe_rules(listener, None)
        try:
            if step[0] == "create":
                made = plane.call(
                    ELBV2_OPERATIONS["CreateRule"],
                    {
                        "ListenerArn": listener,
                        "Priority": step[1],
                        "Conditions": step[2],
                        "Actions": actions(groups, step[3]),
                    },
                )
                rules.append(made["Rules"][0]["RuleArn"])
            elif step[0] == "modify":
                request = {"RuleArn": pick(step[1]), "Actions": actions(groups, step[3])}
                if step[2]:
                    request["Conditions"] = step[2]
                plane.call(ELBV2_OPERATIONS["ModifyRule"], request)
            elif step[0] == "delete":
                plane.call(ELBV2_OPERATIONS["DeleteRule"], {"RuleArn": pick(step[1])})
            elif step[0] == "priorities":
                pairs = [{"RuleArn": pick(i), "Priority": p} for i, p in step[1]]
                plane.call(ELBV2_OPERATIONS["SetRulePriorities"], {"RulePriorities": pairs})
            else:
                weights = dict(zip(groups, step[2], strict=False))
                with plane.lock:
                    plane.elbv2.set_forward_weights(pick(step[1]), weights)
        except ControlPlaneError:
            assert plane.elbv2.describe_rules(listener, None) == before, "a refusal changed state"
        described = plane.elbv2.describe_rules(listener, None)
        assert described[-1]["IsDefault"] and not any(r["IsDefault"] for r in described[:-1])
        priorities = [int(r["Priority"]) for r in described[:-1]]
        assert priorities == sorted(set(priorities)), "unique, in evaluation order"
        used: set[str] = set()
        for rule in described:
            weights = forward_weights(rule["Actions"][0])
            assert all(0 <= w <= 999 for w in weights.values()) and any(weights.values())
            used |= set(weights)
        for group in plane.elbv2.target_groups.values():
            assert (group.arn in used) == bool(group.load_balancer_arns)
