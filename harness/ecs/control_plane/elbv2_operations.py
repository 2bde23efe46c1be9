"""ELBv2 operations: validated request in (PascalCase members), output shape out."""

from __future__ import annotations

from typing import Any

from harness.ecs.control_plane.errors import ValidationError
from harness.ecs.control_plane.plane import ControlPlane, Operation


def create_load_balancer(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    balancer = cp.elbv2.create_load_balancer(req, cp.now())
    return {"LoadBalancers": [balancer.describe()]}


def describe_load_balancers(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    found = cp.elbv2.describe_load_balancers(req.get("LoadBalancerArns"), req.get("Names"))
    return {"LoadBalancers": [lb.describe() for lb in found]}


def create_target_group(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    return {"TargetGroups": [cp.elbv2.create_target_group(req).describe()]}


def describe_target_groups(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    found = cp.elbv2.describe_target_groups(
        req.get("TargetGroupArns"), req.get("Names"), req.get("LoadBalancerArn")
    )
    return {"TargetGroups": [g.describe() for g in found]}


def delete_target_group(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    cp.elbv2.delete_target_group(req["TargetGroupArn"])
    return {}


def _attributes(attributes: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in attributes.items()]


def modify_target_group_attributes(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    group = cp.elbv2.modify_target_group_attributes(req["TargetGroupArn"], req["Attributes"])
    return {"Attributes": _attributes(group.attributes)}


def describe_target_group_attributes(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    group = cp.elbv2.target_group(req["TargetGroupArn"])
    return {"Attributes": _attributes(group.attributes)}


def create_listener(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    return {"Listeners": [cp.elbv2.create_listener(req).describe()]}


def describe_listeners(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    found = cp.elbv2.describe_listeners(req.get("LoadBalancerArn"), req.get("ListenerArns"))
    return {"Listeners": [listener.describe() for listener in found]}


def register_targets(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    cp.elbv2.register_targets(req["TargetGroupArn"], req["Targets"], cp.now())
    return {}


def deregister_targets(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    cp.elbv2.deregister_targets(req["TargetGroupArn"], req["Targets"], cp.now())
    return {}


def describe_target_health(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    if "Include" in req:
        raise ValidationError("DescribeTargetHealth Include is not emulated.")
    found = cp.elbv2.describe_target_health(req["TargetGroupArn"], req.get("Targets"))
    return {"TargetHealthDescriptions": found}


def modify_listener(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    return {"Listeners": [cp.elbv2.modify_listener(req).describe()]}


def create_rule(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    return {"Rules": [cp.elbv2.create_rule(req).describe()]}


def describe_rules(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    if "Marker" in req:
        raise ValidationError("DescribeRules Marker is not emulated (every rule is returned).")
    return {"Rules": cp.elbv2.describe_rules(req.get("ListenerArn"), req.get("RuleArns"))}


def modify_rule(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    return {"Rules": [cp.elbv2.modify_rule(req)]}


def delete_rule(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    cp.elbv2.delete_rule(req["RuleArn"])
    return {}


def set_rule_priorities(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    return {"Rules": cp.elbv2.set_rule_priorities(req["RulePriorities"])}


def set_forward_weights(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    """The scheduler's traffic shift (no API action): ``{"RuleArn", "Weights"}``.

    Through ``ControlPlane.call`` the shift is journaled like a ModifyRule, so a restart
    keeps the weights; :meth:`Elbv2Registry.set_forward_weights` alone is not."""
    cp.elbv2.set_forward_weights(req["RuleArn"], req["Weights"])
    return {}


#: Operations the emulator itself calls (not API actions), journaled like the API's.
ELBV2_INTERNAL_OPERATIONS: tuple[Operation, ...] = (set_forward_weights,)

ELBV2_OPERATIONS: dict[str, Operation] = {
    "CreateLoadBalancer": create_load_balancer,
    "DescribeLoadBalancers": describe_load_balancers,
    "CreateTargetGroup": create_target_group,
    "DescribeTargetGroups": describe_target_groups,
    "DeleteTargetGroup": delete_target_group,
    "ModifyTargetGroupAttributes": modify_target_group_attributes,
    "DescribeTargetGroupAttributes": describe_target_group_attributes,
    "CreateListener": create_listener,
    "DescribeListeners": describe_listeners,
    "RegisterTargets": register_targets,
    "DeregisterTargets": deregister_targets,
    "DescribeTargetHealth": describe_target_health,
    # listener rules (issue 12)
    "ModifyListener": modify_listener,
    "CreateRule": create_rule,
    "DescribeRules": describe_rules,
    "ModifyRule": modify_rule,
    "DeleteRule": delete_rule,
    "SetRulePriorities": set_rule_priorities,
}
