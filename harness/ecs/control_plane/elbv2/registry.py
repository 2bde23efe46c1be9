"""The ELBv2 registry: every load balancer, listener and target group, found by ARN.

This is what the ELBv2 API reads and writes. It makes no health checks and routes no
traffic: in the emulator, ``harness.ecs.emulator.elbv2_sync`` copies it into HAProxy,
reports health back through :meth:`Elbv2Registry.set_target_health` and removes a
drained target through :meth:`Elbv2Registry.finish_draining` when HAProxy's driver says
its deregistration delay is over. Input is judged in :mod:`.validation`; the targets of
one group are kept by :mod:`.targets`; the resources are :mod:`.model`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from harness.ecs.control_plane import arns
from harness.ecs.control_plane.elbv2 import targets as group_targets
from harness.ecs.control_plane.elbv2.model import (
    DEFAULT_VPC,
    Listener,
    LoadBalancer,
    Target,
    TargetGroup,
)
from harness.ecs.control_plane.elbv2.rule_validation import (
    conditions_from_request,
    normalised_forward,
    rule_actions,
)
from harness.ecs.control_plane.elbv2.rules import Rule, forward_action, target_group_arns
from harness.ecs.control_plane.elbv2.target_health import TargetHealthReason, TargetHealthState
from harness.ecs.control_plane.elbv2.validation import (
    check_listener_actions,
    check_load_balancer_name,
    check_target_group_name,
    checked_attributes,
    health_check_from_request,
)
from harness.ecs.control_plane.errors import (
    DuplicateListener,
    DuplicateLoadBalancerName,
    DuplicateTargetGroupName,
    ListenerNotFound,
    LoadBalancerNotFound,
    OperationNotPermitted,
    PriorityInUse,
    ResourceInUse,
    RuleNotFound,
    TargetGroupNotFound,
    ValidationError,
)


class Elbv2Registry:
    """All ELBv2 resources. Locking is the ControlPlane's job."""

    def __init__(self) -> None:
        self.target_groups: dict[str, TargetGroup] = {}
        self.load_balancers: dict[str, LoadBalancer] = {}

    # --- target groups ---------------------------------------------------------------

    def create_target_group(self, request: dict[str, Any]) -> TargetGroup:
        name = request["Name"]
        check_target_group_name(name)
        target_type = request.get("TargetType", "instance")
        protocol = request.get("Protocol")
        port = request.get("Port")
        if target_type != "lambda" and (protocol is None or port is None):
            raise ValidationError(
                f"A protocol and a port must be specified for target type '{target_type}'."
            )
        health_check = health_check_from_request(request, protocol)
        existing = self._target_group_named(name)
        if existing is not None:
            same = (existing.protocol, existing.port, existing.health_check) == (
                protocol,
                port,
                health_check,
            )
            if same:
                return existing  # AWS: same name and settings -> the existing group
            raise DuplicateTargetGroupName(
                f"A target group with the same name '{name}' exists, but with different settings"
            )
        group = TargetGroup(
            name=name,
            arn=arns.target_group_arn(name),
            protocol=protocol,
            port=port,
            vpc_id=request.get("VpcId", DEFAULT_VPC),
            target_type=target_type,
            health_check=health_check,
            protocol_version=request.get(
                "ProtocolVersion", "HTTP1" if protocol in ("HTTP", "HTTPS") else None
            ),
            tags=list(request.get("Tags", [])),
        )
        self.target_groups[group.arn] = group
        return group

    def _target_group_named(self, name: str) -> TargetGroup | None:
        return next((g for g in self.target_groups.values() if g.name == name), None)

    def target_group(self, arn: str) -> TargetGroup:
        group = self.target_groups.get(arn)
        if group is None:
            raise TargetGroupNotFound(f"Target group '{arn}' not found")
        return group

    def describe_target_groups(
        self, arns_: list[str] | None, names: list[str] | None, load_balancer_arn: str | None
    ) -> list[TargetGroup]:
        if load_balancer_arn:
            self.load_balancer(load_balancer_arn)
            return [
                g for g in self.target_groups.values() if load_balancer_arn in g.load_balancer_arns
            ]
        if arns_:
            return [self.target_group(a) for a in arns_]
        if names:
            found = []
            for name in names:
                group = self._target_group_named(name)
                if group is None:
                    raise TargetGroupNotFound(f"One or more target groups not found: '{name}'")
                found.append(group)
            return found
        return list(self.target_groups.values())

    def delete_target_group(self, arn: str) -> None:
        group = self.target_group(arn)
        if group.load_balancer_arns:
            raise ResourceInUse(f"Target group '{arn}' is currently in use by a listener or a rule")
        del self.target_groups[arn]

    def modify_target_group_attributes(
        self, arn: str, attributes: list[dict[str, str]]
    ) -> TargetGroup:
        group = self.target_group(arn)
        group.attributes.update(checked_attributes(attributes))  # all or nothing
        return group

    # --- load balancers and listeners --------------------------------------------------

    def create_load_balancer(self, request: dict[str, Any], now: datetime) -> LoadBalancer:
        name = request["Name"]
        check_load_balancer_name(name)
        if any(lb.name == name for lb in self.load_balancers.values()):
            raise DuplicateLoadBalancerName(
                f"A load balancer with the name '{name}' already exists"
            )
        kind = request.get("Type", "application")
        balancer = LoadBalancer(
            name=name,
            arn=arns.load_balancer_arn(
                {"application": "app", "network": "net"}.get(kind, "gwy"), name
            ),
            type=kind,
            scheme=request.get("Scheme", "internet-facing"),
            created_at=now,
            subnets=list(request.get("Subnets", [])),
            security_groups=list(request.get("SecurityGroups", [])),
        )
        self.load_balancers[balancer.arn] = balancer
        return balancer

    def load_balancer(self, arn: str) -> LoadBalancer:
        balancer = self.load_balancers.get(arn)
        if balancer is None:
            raise LoadBalancerNotFound(f"Load balancer '{arn}' not found")
        return balancer

    def describe_load_balancers(
        self, arns_: list[str] | None, names: list[str] | None
    ) -> list[LoadBalancer]:
        if arns_:
            return [self.load_balancer(a) for a in arns_]
        if names:
            found = []
            for name in names:
                match = next((lb for lb in self.load_balancers.values() if lb.name == name), None)
                if match is None:
                    raise LoadBalancerNotFound(f"One or more load balancers not found: '{name}'")
                found.append(match)
            return found
        return list(self.load_balancers.values())

    def create_listener(self, request: dict[str, Any]) -> Listener:
        balancer = self.load_balancer(request["LoadBalancerArn"])
        port = request.get("Port", 80)
        if any(listener.port == port for listener in balancer.listeners.values()):
            raise DuplicateListener(
                f"A listener already exists on port {port} of '{balancer.name}'"
            )
        actions = self._checked_default_actions(request["DefaultActions"])
        listener = Listener(
            arn=arns.listener_arn(balancer.arn, port),
            load_balancer_arn=balancer.arn,
            port=port,
            protocol=request.get("Protocol", "HTTP"),
            default_actions=actions,
        )
        balancer.listeners[listener.arn] = listener
        self._refresh_associations(balancer)
        return listener

    def modify_listener(self, request: dict[str, Any]) -> Listener:
        """Port, protocol and default actions; everything checked before anything changes.

        The ARN stays the listener's (AWS keeps it when the port changes)."""
        listener = self.listener(request["ListenerArn"])
        balancer = self.load_balancer(listener.load_balancer_arn)
        port = request.get("Port", listener.port)
        if port != listener.port and any(o.port == port for o in balancer.listeners.values()):
            raise DuplicateListener(
                f"A listener already exists on port {port} of '{balancer.name}'"
            )
        actions = listener.default_actions
        if "DefaultActions" in request:
            actions = self._checked_default_actions(request["DefaultActions"])
        listener.port, listener.default_actions = port, actions
        listener.protocol = request.get("Protocol", listener.protocol)
        self._refresh_associations(balancer)
        return listener

    def _checked_default_actions(self, actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        check_listener_actions(actions)
        checked = [normalised_forward(a) if a.get("Type") == "forward" else a for a in actions]
        for tg_arn in target_group_arns(checked):
            self.target_group(tg_arn)  # every reference resolves before anything changes
        return checked

    def listener(self, arn: str) -> Listener:
        for balancer in self.load_balancers.values():
            if arn in balancer.listeners:
                return balancer.listeners[arn]
        raise ListenerNotFound(f"Listener '{arn}' not found")

    def _refresh_associations(self, balancer: LoadBalancer) -> None:
        """A target group is the balancer's while one of its listeners or rules uses it."""
        used = {a for lst in balancer.listeners.values() for a in lst.target_group_arns()}
        for group in self.target_groups.values():
            attached = balancer.arn in group.load_balancer_arns
            if group.arn in used and not attached:
                group.load_balancer_arns.append(balancer.arn)
            elif group.arn not in used and attached:
                group.load_balancer_arns.remove(balancer.arn)
            else:
                continue
            group_targets.refresh_unused(group)

    # --- listener rules --------------------------------------------------------------

    def create_rule(self, request: dict[str, Any]) -> Rule:
        listener = self.listener(request["ListenerArn"])
        priority = request["Priority"]
        self._check_priority_free(listener, priority, ignore=())
        conditions = conditions_from_request(request["Conditions"])
        actions = self._checked_rule_actions(request["Actions"])
        listener.rule_sequence += 1
        rule = Rule(
            arn=arns.listener_rule_arn(listener.arn, listener.rule_sequence),
            listener_arn=listener.arn,
            priority=priority,
            conditions=conditions,
            actions=actions,
            tags=list(request.get("Tags", [])),
        )
        listener.rules[rule.arn] = rule
        self._refresh_associations(self.load_balancer(listener.load_balancer_arn))
        return rule

    def describe_rules(
        self, listener_arn: str | None, rule_arns: list[str] | None
    ) -> list[dict[str, Any]]:
        """``Rules``: a listener's in evaluation order (the default rule last), or the
        asked-for ones in the order asked."""
        if listener_arn:
            listener = self.listener(listener_arn)
            return [r.describe() for r in listener.rules_in_order()] + [
                listener.describe_default_rule()
            ]
        if not rule_arns:
            raise ValidationError("You must specify either listener ARN or rule ARNs")
        found = []
        for arn in rule_arns:
            listener, rule = self._rule(arn)
            found.append(rule.describe() if rule else listener.describe_default_rule())
        return found

    def modify_rule(self, request: dict[str, Any]) -> dict[str, Any]:
        """Conditions and/or actions; a default rule takes actions only, as on AWS."""
        listener, rule = self._rule(request["RuleArn"])
        if rule is None:
            if request.get("Conditions"):
                raise OperationNotPermitted("The conditions of a default rule cannot be modified")
            if "Actions" in request:
                self._set_default_actions(listener, request["Actions"])
            return listener.describe_default_rule()
        conditions = rule.conditions
        if "Conditions" in request:
            conditions = conditions_from_request(request["Conditions"])
        actions = rule.actions
        if "Actions" in request:
            actions = self._checked_rule_actions(request["Actions"])
        rule.conditions, rule.actions = conditions, actions
        self._refresh_associations(self.load_balancer(listener.load_balancer_arn))
        return rule.describe()

    def set_forward_weights(self, rule_arn: str, weights: Mapping[str, int]) -> None:
        """Shift traffic: the rule forwards to ``weights`` (target group ARN -> 0..999).

        The ECS scheduler's entry for blue/green, linear and canary steps; the same path
        (and checks) as ``ModifyRule`` with a weighted forward action. ``rule_arn`` may
        be a listener's default rule. The rule's stickiness setting is kept. Called
        through ``ControlPlane.call(elbv2_operations.set_forward_weights, {"RuleArn",
        "Weights"})`` the shift is journaled (a restart keeps it); called directly, not.
        """
        listener, rule = self._rule(rule_arn)
        current = rule.actions if rule else listener.default_actions
        forwards = [a for a in current if a.get("Type") == "forward"]
        stickiness = (
            (forwards[0].get("ForwardConfig") or {}).get("TargetGroupStickinessConfig")
            if forwards
            else None
        )
        action = forward_action(dict(weights), stickiness)
        request: dict[str, Any] = {"RuleArn": rule_arn, "Actions": [action]}
        self.modify_rule(request)

    def _set_default_actions(self, listener: Listener, actions: list[dict[str, Any]]) -> None:
        listener.default_actions = self._checked_default_actions(actions)
        self._refresh_associations(self.load_balancer(listener.load_balancer_arn))

    def delete_rule(self, rule_arn: str) -> None:
        listener, rule = self._rule(rule_arn)
        if rule is None:
            raise OperationNotPermitted("A default rule cannot be deleted")
        del listener.rules[rule.arn]
        self._refresh_associations(self.load_balancer(listener.load_balancer_arn))

    def set_rule_priorities(self, pairs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """New priorities for several rules at once, all checked before any changes."""
        found: list[tuple[Listener, Rule, int]] = []
        for pair in pairs:
            if "RuleArn" not in pair or "Priority" not in pair:
                raise ValidationError("Each rule priority pair needs a RuleArn and a Priority")
            listener, rule = self._rule(pair["RuleArn"])
            if rule is None:
                raise OperationNotPermitted("The priority of a default rule cannot be changed")
            found.append((listener, rule, pair["Priority"]))
        moving = {rule.arn for _, rule, _ in found}
        claimed: dict[tuple[str, int], str] = {}
        for listener, rule, priority in found:
            self._check_priority_free(listener, priority, ignore=moving)
            if claimed.setdefault((listener.arn, priority), rule.arn) != rule.arn:
                raise PriorityInUse(f"Priority '{priority}' is given to more than one rule")
        for _, rule, priority in found:
            rule.priority = priority
        return [rule.describe() for _, rule, _ in found]

    def _rule(self, arn: str) -> tuple[Listener, Rule | None]:
        """The rule's listener, and the rule (None: the listener's default rule)."""
        for listener in self.listeners():
            if arn == listener.default_rule_arn:
                return listener, None
            if arn in listener.rules:
                return listener, listener.rules[arn]
        raise RuleNotFound(f"One or more rules not found: '{arn}'")

    def _check_priority_free(self, listener: Listener, priority: int, ignore: Any) -> None:
        for rule in listener.rules.values():
            if rule.priority == priority and rule.arn not in ignore:
                raise PriorityInUse(f"Priority '{priority}' is currently in use")

    def _checked_rule_actions(self, actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        checked = rule_actions(actions)
        for tg_arn in target_group_arns(checked):
            self.target_group(tg_arn)
        return checked

    def describe_listeners(
        self, load_balancer_arn: str | None, listener_arns: list[str] | None
    ) -> list[Listener]:
        if load_balancer_arn:
            return list(self.load_balancer(load_balancer_arn).listeners.values())
        everything = {
            a: lst for lb in self.load_balancers.values() for a, lst in lb.listeners.items()
        }
        if not listener_arns:
            raise ValidationError("You must specify either listener ARNs or a load balancer ARN")
        missing = [a for a in listener_arns if a not in everything]
        if missing:
            raise ListenerNotFound(f"One or more listeners not found: {missing}")
        return [everything[a] for a in listener_arns]

    def listeners(self) -> list[Listener]:
        """Every listener of every load balancer."""
        return [lst for lb in self.load_balancers.values() for lst in lb.listeners.values()]

    # --- targets and health ----------------------------------------------------------

    def register_targets(self, tg_arn: str, targets: list[dict[str, Any]], now: datetime) -> None:
        group_targets.register(self.target_group(tg_arn), targets, now)

    def deregister_targets(self, tg_arn: str, targets: list[dict[str, Any]], now: datetime) -> None:
        """Start draining. With a delay of 0 the targets go at once, as in AWS."""
        group_targets.deregister(self.target_group(tg_arn), targets, now)

    def set_target_health(
        self,
        tg_arn: str,
        target_id: str,
        port: int,
        state: TargetHealthState | str,
        reason: TargetHealthReason | str | None = None,
        description: str | None = None,
    ) -> None:
        """Record a health check result (called by the emulator, never by the API)."""
        group_targets.set_health(
            self.target_group(tg_arn), target_id, port, state, reason, description
        )

    def finish_draining(self, tg_arn: str, target_id: str, port: int) -> Target | None:
        """The draining target's deregistration delay is over (HAProxy's driver timed it):
        it leaves the group. Returns it, or None when it was not draining."""
        return group_targets.finish_draining(self.target_group(tg_arn), target_id, port)

    def describe_target_health(
        self, tg_arn: str, targets: list[dict[str, Any]] | None
    ) -> list[dict[str, Any]]:
        return group_targets.describe_health(self.target_group(tg_arn), targets)
