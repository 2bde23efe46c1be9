"""The one place ECS looks up a listener rule named in ``loadBalancers[].advancedConfiguration``.

A BLUE_GREEN, LINEAR or CANARY service shifts traffic by the forward weights of a
production (and maybe a test) listener rule. AWS checks, at CreateService/UpdateService,
that the rule exists and that it routes for the service's load balancer and target
groups. A listener's default rule counts (its ARN from DescribeRules).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from harness.ecs.control_plane.elbv2.registry import Elbv2Registry
from harness.ecs.control_plane.elbv2.rules import target_group_arns
from harness.ecs.control_plane.errors import InvalidParameterException


@dataclass(frozen=True)
class ListenerRuleView:
    """What ECS needs of a rule: where it lives and which target groups it forwards to."""

    arn: str
    listener_arn: str
    load_balancer_arn: str
    target_group_arns: tuple[str, ...]


#: Finds a rule by ARN (a listener's default rule included); None when unknown.
RuleLookup = Callable[[str], ListenerRuleView | None]


def find_listener_rule(elbv2: Elbv2Registry, arn: str) -> ListenerRuleView | None:
    """The rule ``arn`` names in ``elbv2`` (a listener's default rule included), or None."""
    for listener in elbv2.listeners():
        if arn == listener.default_rule_arn:
            groups = target_group_arns(listener.default_actions)
        elif arn in listener.rules:
            groups = target_group_arns(listener.rules[arn].actions)
        else:
            continue
        return ListenerRuleView(
            arn=arn,
            listener_arn=listener.arn,
            load_balancer_arn=listener.load_balancer_arn,
            target_group_arns=tuple(groups),
        )
    return None


def check_listener_rule(
    lookup: RuleLookup,
    rule_arn: str,
    member: str,
    target_group_arn: str,
    alternate_target_group_arn: str,
    load_balancer_arns: list[str],
) -> ListenerRuleView:
    """Refuse a rule AWS would refuse: unknown, on another load balancer, or not forwarding
    to the service's target groups.

    The rule must forward to the primary or the alternate target group: after a
    deployment the two swap roles, and an UpdateService names them as they are then.
    ``member`` names the request member in errors (``productionListenerRule`` ...).
    """
    rule = lookup(rule_arn)
    if rule is None:
        raise InvalidParameterException(
            f"The {member} {rule_arn} does not exist. Specify an existing listener rule."
        )
    if load_balancer_arns and rule.load_balancer_arn not in load_balancer_arns:
        raise InvalidParameterException(
            f"The {member} {rule_arn} belongs to load balancer {rule.load_balancer_arn}, "
            f"which is not associated with target group {target_group_arn}."
        )
    if not {target_group_arn, alternate_target_group_arn} & set(rule.target_group_arns):
        raise InvalidParameterException(
            f"The {member} {rule_arn} does not forward to target group {target_group_arn} "
            f"or {alternate_target_group_arn}; it forwards to "
            f"{', '.join(rule.target_group_arns) or 'no target group'}."
        )
    return rule
