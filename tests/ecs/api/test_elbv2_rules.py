"""Listener rules and weighted forwards through a real boto3 client (AWS's shapes and errors)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from harness.ecs.control_plane import ControlPlane
from harness.ecs.control_plane.errors import RuleNotFound, ValidationError
from harness.ecs.control_plane.quotas import Quotas
from tests.ecs.api import test_elbv2

# test_elbv2's fixtures (a control plane, its API server, a boto3 client) and helper
plane, server, elbv2, code = test_elbv2.plane, test_elbv2.server, test_elbv2.elbv2, test_elbv2.code


def group(elbv2: Any, name: str) -> str:
    return elbv2.create_target_group(
        Name=name, Protocol="HTTP", Port=8080, VpcId="vpc-1", TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]


@pytest.fixture
def setup(elbv2: Any) -> dict[str, str]:
    blue, green = group(elbv2, "blue"), group(elbv2, "green")
    lb = elbv2.create_load_balancer(Name="front")["LoadBalancers"][0]["LoadBalancerArn"]
    listener = elbv2.create_listener(
        LoadBalancerArn=lb,
        Port=80,
        Protocol="HTTP",
        DefaultActions=[{"Type": "forward", "TargetGroupArn": blue}],
    )["Listeners"][0]["ListenerArn"]
    return {"blue": blue, "green": green, "lb": lb, "listener": listener}


def weighted(weights: dict[str, int]) -> list[dict[str, Any]]:
    groups = [{"TargetGroupArn": arn, "Weight": w} for arn, w in weights.items()]
    return [{"Type": "forward", "ForwardConfig": {"TargetGroups": groups}}]


PATH = [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/*"]}}]


def test_every_listener_has_its_default_rule(elbv2: Any, setup: dict[str, str]) -> None:
    [default] = elbv2.describe_rules(ListenerArn=setup["listener"])["Rules"]
    assert default["IsDefault"] is True and default["Priority"] == "default"
    assert default["Conditions"] == []
    assert default["Actions"][0]["ForwardConfig"]["TargetGroups"] == [
        {"TargetGroupArn": setup["blue"], "Weight": 1}
    ]
    assert ":listener-rule/app/front/" in default["RuleArn"]


def test_create_rule_weighted_and_described_in_priority_order(
    elbv2: Any, setup: dict[str, str]
) -> None:
    late = elbv2.create_rule(
        ListenerArn=setup["listener"],
        Priority=20,
        Conditions=[{"Field": "host-header", "Values": ["*.example.com"]}],
        Actions=[{"Type": "forward", "TargetGroupArn": setup["green"]}],
    )["Rules"][0]
    early = elbv2.create_rule(
        ListenerArn=setup["listener"],
        Priority=10,
        Conditions=PATH,
        Actions=weighted({setup["blue"]: 900, setup["green"]: 100}),
    )["Rules"][0]
    assert early["Priority"] == "10" and early["IsDefault"] is False
    assert early["Conditions"][0]["PathPatternConfig"] == {"Values": ["/api/*"]}
    assert late["Conditions"][0]["HostHeaderConfig"] == {"Values": ["*.example.com"]}
    rules = elbv2.describe_rules(ListenerArn=setup["listener"])["Rules"]
    assert [r["Priority"] for r in rules] == ["10", "20", "default"]
    by_arn = elbv2.describe_rules(RuleArns=[late["RuleArn"]])["Rules"]
    assert by_arn[0]["Actions"][0]["TargetGroupArn"] == setup["green"]
    groups = elbv2.describe_target_groups(TargetGroupArns=[setup["green"]])["TargetGroups"]
    assert groups[0]["LoadBalancerArns"] == [setup["lb"]]  # a rule uses it now


def test_priority_in_use_and_rule_not_found(elbv2: Any, setup: dict[str, str]) -> None:
    actions = [{"Type": "forward", "TargetGroupArn": setup["green"]}]
    elbv2.create_rule(ListenerArn=setup["listener"], Priority=5, Conditions=PATH, Actions=actions)
    with pytest.raises(ClientError) as excinfo:
        elbv2.create_rule(
            ListenerArn=setup["listener"], Priority=5, Conditions=PATH, Actions=actions
        )
    assert code(excinfo) == "PriorityInUse"
    with pytest.raises(ClientError) as excinfo:
        elbv2.delete_rule(RuleArn=setup["listener"].replace(":listener/", ":listener-rule/") + "/0")
    assert code(excinfo) == "RuleNotFound"


def test_unknown_target_group_and_bad_weights(elbv2: Any, setup: dict[str, str]) -> None:
    missing = setup["green"].replace("green", "nope")
    with pytest.raises(ClientError) as excinfo:
        elbv2.create_rule(
            ListenerArn=setup["listener"],
            Priority=1,
            Conditions=PATH,
            Actions=weighted({missing: 1}),
        )
    assert code(excinfo) == "TargetGroupNotFound"
    for weights, words in (
        ({setup["blue"]: 1000}, "from 0 to 999"),
        ({setup["blue"]: -1}, "from 0 to 999"),
        ({setup["blue"]: 0, setup["green"]: 0}, "weight > 0"),
    ):
        with pytest.raises(ClientError) as excinfo:
            elbv2.create_rule(
                ListenerArn=setup["listener"],
                Priority=1,
                Conditions=PATH,
                Actions=weighted(weights),
            )
        assert code(excinfo) == "ValidationError" and words in str(excinfo.value)
    assert len(elbv2.describe_rules(ListenerArn=setup["listener"])["Rules"]) == 1  # nothing made


@pytest.mark.parametrize(
    ("conditions", "words"),
    [
        ([], "at least one condition"),
        ([{"Field": "query-string", "Values": ["a"]}], "not supported by Drydock"),
        (PATH + PATH, "at most one 'path-pattern'"),
        ([{"Field": "path-pattern", "Values": ["/a", "/b", "/c", "/d"]}], "at most 3 values"),
        ([{"Field": "path-pattern", "Values": ["/" + "a" * 128]}], "1 to 128"),
        ([{"Field": "host-header", "Values": ["localhost"]}], "at least one '.'"),
        (
            [
                {
                    "Field": "http-header",
                    "HttpHeaderConfig": {"HttpHeaderName": "Host", "Values": ["x"]},
                }
            ],
            "host-header",
        ),
        (
            [
                {
                    "Field": "http-header",
                    "HttpHeaderConfig": {"HttpHeaderName": "a b", "Values": ["x"]},
                }
            ],
            "RFC 7230",
        ),
        (
            [
                {"Field": "path-pattern", "Values": ["/a", "/b", "/c"]},
                {"Field": "host-header", "Values": ["a.b", "c.d", "e.f"]},
            ],
            "at most 5 condition values",
        ),
    ],
)
def test_conditions_refused_in_aws_words(
    elbv2: Any, setup: dict[str, str], conditions: list[dict[str, Any]], words: str
) -> None:
    with pytest.raises(ClientError) as excinfo:
        elbv2.create_rule(
            ListenerArn=setup["listener"],
            Priority=3,
            Conditions=conditions,
            Actions=[{"Type": "forward", "TargetGroupArn": setup["green"]}],
        )
    assert code(excinfo) == "ValidationError" and words in str(excinfo.value)


def test_modify_rule_and_default_rule(elbv2: Any, setup: dict[str, str]) -> None:
    rule = elbv2.create_rule(
        ListenerArn=setup["listener"],
        Priority=7,
        Conditions=PATH,
        Actions=[{"Type": "forward", "TargetGroupArn": setup["blue"]}],
    )["Rules"][0]["RuleArn"]
    changed = elbv2.modify_rule(
        RuleArn=rule, Actions=weighted({setup["blue"]: 50, setup["green"]: 50})
    )["Rules"][0]
    assert [g["Weight"] for g in changed["Actions"][0]["ForwardConfig"]["TargetGroups"]] == [50, 50]
    assert changed["Conditions"][0]["Values"] == ["/api/*"]  # untouched
    default = elbv2.describe_rules(ListenerArn=setup["listener"])["Rules"][-1]["RuleArn"]
    elbv2.modify_rule(RuleArn=default, Actions=weighted({setup["green"]: 3}))
    [listener] = elbv2.describe_listeners(ListenerArns=[setup["listener"]])["Listeners"]
    assert listener["DefaultActions"][0]["TargetGroupArn"] == setup["green"]
    with pytest.raises(ClientError) as excinfo:
        elbv2.modify_rule(RuleArn=default, Conditions=PATH)
    assert code(excinfo) == "OperationNotPermitted"
    with pytest.raises(ClientError) as excinfo:
        elbv2.delete_rule(RuleArn=default)
    assert code(excinfo) == "OperationNotPermitted"


def test_set_rule_priorities_swaps_and_refuses_clashes(elbv2: Any, setup: dict[str, str]) -> None:
    actions = [{"Type": "forward", "TargetGroupArn": setup["green"]}]
    a = elbv2.create_rule(
        ListenerArn=setup["listener"], Priority=1, Conditions=PATH, Actions=actions
    )
    b = elbv2.create_rule(
        ListenerArn=setup["listener"], Priority=2, Conditions=PATH, Actions=actions
    )
    a_arn, b_arn = a["Rules"][0]["RuleArn"], b["Rules"][0]["RuleArn"]
    elbv2.set_rule_priorities(
        RulePriorities=[{"RuleArn": a_arn, "Priority": 2}, {"RuleArn": b_arn, "Priority": 1}]
    )
    rules = elbv2.describe_rules(ListenerArn=setup["listener"])["Rules"]
    assert [r["RuleArn"] for r in rules[:2]] == [b_arn, a_arn]
    with pytest.raises(ClientError) as excinfo:
        elbv2.set_rule_priorities(
            RulePriorities=[{"RuleArn": a_arn, "Priority": 9}, {"RuleArn": b_arn, "Priority": 9}]
        )
    assert code(excinfo) == "PriorityInUse"
    assert [
        r["Priority"] for r in elbv2.describe_rules(ListenerArn=setup["listener"])["Rules"]
    ] == [
        "1",
        "2",
        "default",
    ]  # nothing changed


def test_delete_rule_frees_its_target_group(elbv2: Any, setup: dict[str, str]) -> None:
    rule = elbv2.create_rule(
        ListenerArn=setup["listener"],
        Priority=4,
        Conditions=PATH,
        Actions=[{"Type": "forward", "TargetGroupArn": setup["green"]}],
    )["Rules"][0]["RuleArn"]
    with pytest.raises(ClientError) as excinfo:
        elbv2.delete_target_group(TargetGroupArn=setup["green"])
    assert code(excinfo) == "ResourceInUse"
    elbv2.delete_rule(RuleArn=rule)
    elbv2.delete_target_group(TargetGroupArn=setup["green"])


def test_modify_listener_default_actions_and_port(elbv2: Any, setup: dict[str, str]) -> None:
    out = elbv2.modify_listener(
        ListenerArn=setup["listener"],
        Port=8081,
        DefaultActions=weighted({setup["blue"]: 1, setup["green"]: 1}),
    )["Listeners"][0]
    assert out["Port"] == 8081 and out["ListenerArn"] == setup["listener"]
    assert len(out["DefaultActions"][0]["ForwardConfig"]["TargetGroups"]) == 2


def test_rules_quota(plane: ControlPlane, elbv2: Any, setup: dict[str, str]) -> None:
    plane.quotas = Quotas(rules_per_load_balancer=1)
    actions = [{"Type": "forward", "TargetGroupArn": setup["green"]}]
    elbv2.create_rule(ListenerArn=setup["listener"], Priority=1, Conditions=PATH, Actions=actions)
    with pytest.raises(ClientError) as excinfo:
        elbv2.create_rule(
            ListenerArn=setup["listener"], Priority=2, Conditions=PATH, Actions=actions
        )
    assert code(excinfo) == "TooManyRules"


def test_set_forward_weights_is_modify_rule(plane: ControlPlane, setup: dict[str, str]) -> None:
    """The scheduler's entry: same checks as ModifyRule, default rule included."""
    listener = plane.elbv2.listener(setup["listener"])
    plane.elbv2.set_forward_weights(
        listener.default_rule_arn, {setup["blue"]: 90, setup["green"]: 10}
    )
    [default] = plane.elbv2.describe_rules(setup["listener"], None)
    assert default["Actions"][0]["ForwardConfig"]["TargetGroups"] == [
        {"TargetGroupArn": setup["blue"], "Weight": 90},
        {"TargetGroupArn": setup["green"], "Weight": 10},
    ]
    with pytest.raises(ValidationError, match="from 0 to 999"):
        plane.elbv2.set_forward_weights(listener.default_rule_arn, {setup["blue"]: 1000})
    with pytest.raises(RuleNotFound):
        plane.elbv2.set_forward_weights(setup["listener"] + "-x", {setup["blue"]: 1})
