"""The ELBv2 registry: every load balancer, listener and target group, found by ARN.

This is what the ELBv2 API reads and writes. It makes no health checks and routes no
traffic: in the emulator, ``harness.ecs.emulator.elbv2_sync`` copies it into HAProxy,
reports health back through :meth:`Elbv2Registry.set_target_health` and removes a
drained target through :meth:`Elbv2Registry.finish_draining` when HAProxy's driver says
its deregistration delay is over. Input is judged in :mod:`.validation`; the targets of
one group are kept by :mod:`.targets`; the resources are :mod:`.model`.
"""

from __future__ import annotations

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
    ResourceInUse,
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
        actions = request["DefaultActions"]
        listener = Listener(
            arn=arns.listener_arn(balancer.arn, port),
            load_balancer_arn=balancer.arn,
            port=port,
            protocol=request.get("Protocol", "HTTP"),
            default_actions=actions,
        )
        for tg_arn in listener.target_group_arns():
            self.target_group(tg_arn)  # validate before attaching anything
        check_listener_actions(actions)
        balancer.listeners[listener.arn] = listener
        for tg_arn in listener.target_group_arns():
            group = self.target_groups[tg_arn]
            if balancer.arn not in group.load_balancer_arns:
                group.load_balancer_arns.append(balancer.arn)
                group_targets.refresh_unused(group)
        return listener

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
