"""ELBv2 state: load balancers, listeners, target groups, their targets and health.

This is the registry the ELBv2 API reads and writes. It makes no health checks and
routes no traffic: the balancer component (``harness.ecs.haproxy``) probes targets
and reports results through :meth:`LoadBalancing.set_target_health`, and finishes
draining through :meth:`LoadBalancing.expire_draining`. Defaults are AWS's documented
ones, so a test that reads them back sees what AWS would report.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from harness.ecs.control_plane import arns
from harness.ecs.control_plane.errors import (
    DuplicateListener,
    DuplicateLoadBalancerName,
    DuplicateTargetGroupName,
    InvalidTarget,
    ListenerNotFound,
    LoadBalancerNotFound,
    ResourceInUse,
    TargetGroupNotFound,
    ValidationError,
)
from harness.time_scale import TimeScale

DEFAULT_VPC = "vpc-00000000000000000"

#: Target group attributes AWS reports for an ALB target group, with their defaults.
DEFAULT_TARGET_GROUP_ATTRIBUTES: dict[str, str] = {
    "deregistration_delay.timeout_seconds": "300",
    "stickiness.enabled": "false",
    "stickiness.type": "lb_cookie",
    "stickiness.lb_cookie.duration_seconds": "86400",
    "slow_start.duration_seconds": "0",
    "load_balancing.algorithm.type": "round_robin",
    "load_balancing.cross_zone.enabled": "use_load_balancer_configuration",
}

#: Integer attributes and their documented ranges (inclusive).
_INTEGER_ATTRIBUTE_RANGES: dict[str, tuple[int, int]] = {
    "deregistration_delay.timeout_seconds": (0, 3600),
    "stickiness.lb_cookie.duration_seconds": (1, 604800),
    "slow_start.duration_seconds": (0, 900),
}

_TG_NAME_RE = re.compile(r"^(?!-)[A-Za-z0-9-]{1,32}(?<!-)$")
_LB_NAME_RE = re.compile(r"^(?!-)(?!internal-)[A-Za-z0-9-]{1,32}(?<!-)$")

#: Target health states and reason codes, as DescribeTargetHealth reports them.
INITIAL, HEALTHY, UNHEALTHY = "initial", "healthy", "unhealthy"
DRAINING, UNUSED = "draining", "unused"
_REASON_DESCRIPTIONS: dict[str, str] = {
    "Elb.RegistrationInProgress": "Target registration is in progress",
    "Elb.InitialHealthChecking": "Initial health checks in progress",
    "Target.ResponseCodeMismatch": "Health checks failed with these codes: [{codes}]",
    "Target.Timeout": "Request timed out",
    "Target.FailedHealthChecks": "Health checks failed",
    "Target.DeregistrationInProgress": "Target deregistration is in progress",
    "Target.NotInUse": "Target group is not configured to receive traffic from the load balancer",
    "Target.NotRegistered": "Target is not registered to the target group",
}


@dataclass
class HealthCheck:
    """A target group's health check; the defaults are ALB's for an HTTP target group."""

    protocol: str = "HTTP"
    port: str = "traffic-port"
    enabled: bool = True
    path: str = "/"
    interval_seconds: int = 30
    timeout_seconds: int = 5
    healthy_threshold: int = 5
    unhealthy_threshold: int = 2
    matcher: str = "200"


@dataclass
class Target:
    id: str
    port: int
    availability_zone: str | None
    state: str
    reason: str | None
    description: str | None
    registered_at: datetime
    draining_since: datetime | None = None


@dataclass
class TargetGroup:
    name: str
    arn: str
    protocol: str | None
    port: int | None
    vpc_id: str
    target_type: str
    health_check: HealthCheck
    protocol_version: str | None = None
    attributes: dict[str, str] = field(
        default_factory=lambda: dict(DEFAULT_TARGET_GROUP_ATTRIBUTES)
    )
    load_balancer_arns: list[str] = field(default_factory=list)
    targets: dict[tuple[str, int], Target] = field(default_factory=dict)
    tags: list[dict[str, str]] = field(default_factory=list)

    @property
    def deregistration_delay(self) -> timedelta:
        return timedelta(seconds=int(self.attributes["deregistration_delay.timeout_seconds"]))

    def describe(self) -> dict[str, Any]:
        """The ``TargetGroup`` output shape."""
        hc = self.health_check
        out: dict[str, Any] = {
            "TargetGroupArn": self.arn,
            "TargetGroupName": self.name,
            "VpcId": self.vpc_id,
            "HealthCheckProtocol": hc.protocol,
            "HealthCheckPort": hc.port,
            "HealthCheckEnabled": hc.enabled,
            "HealthCheckIntervalSeconds": hc.interval_seconds,
            "HealthCheckTimeoutSeconds": hc.timeout_seconds,
            "HealthyThresholdCount": hc.healthy_threshold,
            "UnhealthyThresholdCount": hc.unhealthy_threshold,
            "HealthCheckPath": hc.path,
            "Matcher": {"HttpCode": hc.matcher},
            "LoadBalancerArns": list(self.load_balancer_arns),
            "TargetType": self.target_type,
            "IpAddressType": "ipv4",
        }
        if self.protocol is not None:
            out["Protocol"] = self.protocol
        if self.port is not None:
            out["Port"] = self.port
        if self.protocol_version is not None:
            out["ProtocolVersion"] = self.protocol_version
        return out


@dataclass
class Listener:
    arn: str
    load_balancer_arn: str
    port: int
    protocol: str
    default_actions: list[dict[str, Any]]

    def describe(self) -> dict[str, Any]:
        return {
            "ListenerArn": self.arn,
            "LoadBalancerArn": self.load_balancer_arn,
            "Port": self.port,
            "Protocol": self.protocol,
            "DefaultActions": self.default_actions,
        }

    def target_group_arns(self) -> list[str]:
        found: list[str] = []
        for action in self.default_actions:
            if action.get("TargetGroupArn"):
                found.append(action["TargetGroupArn"])
            for tg in (action.get("ForwardConfig") or {}).get("TargetGroups", []):
                found.append(tg["TargetGroupArn"])
        return found


@dataclass
class LoadBalancer:
    name: str
    arn: str
    type: str
    scheme: str
    created_at: datetime
    subnets: list[str]
    security_groups: list[str]
    vpc_id: str = DEFAULT_VPC
    listeners: dict[str, Listener] = field(default_factory=dict)

    @property
    def dns_name(self) -> str:
        digits = zlib.crc32(self.arn.encode()) % 10**10
        prefix = "internal-" if self.scheme == "internal" else ""
        return f"{prefix}{self.name}-{digits}.{arns.REGION}.elb.amazonaws.com"

    def describe(self) -> dict[str, Any]:
        zones = [
            {"ZoneName": f"{arns.REGION}{'abcdef'[i % 6]}", "SubnetId": subnet}
            for i, subnet in enumerate(self.subnets or ["subnet-00000000", "subnet-00000001"])
        ]
        return {
            "LoadBalancerArn": self.arn,
            "DNSName": self.dns_name,
            "CanonicalHostedZoneId": "Z35SXDOTRQ7X7K",
            "CreatedTime": self.created_at,
            "LoadBalancerName": self.name,
            "Scheme": self.scheme,
            "VpcId": self.vpc_id,
            "State": {"Code": "active"},
            "Type": self.type,
            "AvailabilityZones": zones,
            "SecurityGroups": list(self.security_groups),
            "IpAddressType": "ipv4",
        }


class LoadBalancing:
    """All ELBv2 resources. Locking is the ControlPlane's job."""

    def __init__(self) -> None:
        self.target_groups: dict[str, TargetGroup] = {}
        self.load_balancers: dict[str, LoadBalancer] = {}

    # --- target groups ---------------------------------------------------------------

    def create_target_group(self, request: dict[str, Any]) -> TargetGroup:
        name = request["Name"]
        if not _TG_NAME_RE.match(name):
            raise ValidationError(
                f"Target group name '{name}' can have a maximum of 32 characters, contain "
                "only alphanumeric characters or hyphens, and must not begin or end with a "
                "hyphen."
            )
        target_type = request.get("TargetType", "instance")
        protocol = request.get("Protocol")
        port = request.get("Port")
        if target_type != "lambda" and (protocol is None or port is None):
            raise ValidationError(
                f"A protocol and a port must be specified for target type '{target_type}'."
            )
        health_check = HealthCheck(
            protocol=request.get("HealthCheckProtocol", protocol or "HTTP"),
            port=request.get("HealthCheckPort", "traffic-port"),
            enabled=request.get("HealthCheckEnabled", True),
            path=request.get("HealthCheckPath", "/"),
            interval_seconds=request.get("HealthCheckIntervalSeconds", 30),
            timeout_seconds=request.get("HealthCheckTimeoutSeconds", 5),
            healthy_threshold=request.get("HealthyThresholdCount", 5),
            unhealthy_threshold=request.get("UnhealthyThresholdCount", 2),
            matcher=(request.get("Matcher") or {}).get("HttpCode", "200"),
        )
        if health_check.timeout_seconds >= health_check.interval_seconds:
            raise ValidationError(
                f"Health check timeout ({health_check.timeout_seconds}) must be smaller than "
                f"the interval ({health_check.interval_seconds})."
            )
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
        changes: dict[str, str] = {}
        for attribute in attributes:
            key, value = attribute.get("Key", ""), attribute.get("Value", "")
            if key not in DEFAULT_TARGET_GROUP_ATTRIBUTES:
                raise ValidationError(f"Target group attribute key '{key}' is not recognized")
            if key in _INTEGER_ATTRIBUTE_RANGES:
                low, high = _INTEGER_ATTRIBUTE_RANGES[key]
                if not value.isdigit() or not low <= int(value) <= high:
                    raise ValidationError(
                        f"'{key}' must be an integer from {low} to {high}, not '{value}'"
                    )
            changes[key] = value
        group.attributes.update(changes)  # all-or-nothing: validated before applying
        return group

    # --- load balancers and listeners --------------------------------------------------

    def create_load_balancer(self, request: dict[str, Any], now: datetime) -> LoadBalancer:
        name = request["Name"]
        if not _LB_NAME_RE.match(name):
            raise ValidationError(
                f"Load balancer name '{name}' can have a maximum of 32 characters, contain "
                "only alphanumeric characters or hyphens, must not begin or end with a hyphen "
                "and must not begin with 'internal-'."
            )
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
        for action in actions:
            if action.get("Type") not in ("forward", "fixed-response", "redirect"):
                raise ValidationError(
                    f"Action type '{action.get('Type')}' is not supported by Drydock; use 'forward'"
                )
        balancer.listeners[listener.arn] = listener
        for tg_arn in listener.target_group_arns():
            group = self.target_groups[tg_arn]
            if balancer.arn not in group.load_balancer_arns:
                group.load_balancer_arns.append(balancer.arn)
                self._refresh_unused(group)
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

    # --- targets and health ----------------------------------------------------------

    def register_targets(self, tg_arn: str, targets: list[dict[str, Any]], now: datetime) -> None:
        group = self.target_group(tg_arn)
        for spec in targets:
            port = spec.get("Port", group.port)
            if port is None:
                raise InvalidTarget(
                    f"Target '{spec['Id']}' needs a port: the target group has no default port"
                )
            key = (spec["Id"], port)
            existing = group.targets.get(key)
            if existing is not None and existing.state != DRAINING:
                continue  # re-registering is a no-op in AWS
            group.targets[key] = Target(
                id=spec["Id"],
                port=port,
                availability_zone=spec.get("AvailabilityZone"),
                state=INITIAL,
                reason="Elb.RegistrationInProgress",
                description=_REASON_DESCRIPTIONS["Elb.RegistrationInProgress"],
                registered_at=now,
            )
        self._refresh_unused(group)

    def deregister_targets(self, tg_arn: str, targets: list[dict[str, Any]], now: datetime) -> None:
        """Start draining. With a delay of 0 the targets go at once, as in AWS."""
        group = self.target_group(tg_arn)
        keys = [(spec["Id"], spec.get("Port", group.port)) for spec in targets]
        missing = [f"{i}:{p}" for i, p in keys if (i, p) not in group.targets]
        if missing:
            raise InvalidTarget(
                f"The following targets are not registered in target group "
                f"'{group.name}': {', '.join(missing)}"
            )
        for key in keys:
            target = group.targets[key]
            if group.deregistration_delay.total_seconds() == 0 or not group.load_balancer_arns:
                del group.targets[key]
                continue
            if target.state != DRAINING:
                target.state, target.reason = DRAINING, "Target.DeregistrationInProgress"
                target.description = _REASON_DESCRIPTIONS[target.reason]
                target.draining_since = now

    def set_target_health(
        self,
        tg_arn: str,
        target_id: str,
        port: int,
        state: str,
        reason: str | None = None,
        description: str | None = None,
    ) -> None:
        """Record a health check result (called by the balancer, never by the API).

        Draining targets keep draining whatever their checks say, as in AWS.
        """
        group = self.target_group(tg_arn)
        target = group.targets.get((target_id, port))
        if target is None or target.state == DRAINING:
            return
        target.state, target.reason = state, reason
        target.description = description or (
            _REASON_DESCRIPTIONS.get(reason, reason) if reason else None
        )

    def expire_draining(
        self, now: datetime, scale: TimeScale | None = None
    ) -> list[tuple[str, Target]]:
        """Remove targets whose deregistration delay has passed; return (tg_arn, target) pairs.

        ``scale`` compresses the delay (a scale of 0.1 -> a tenth of AWS's wait), so the
        stored attribute stays AWS's number.
        """
        scale = scale or TimeScale()
        removed: list[tuple[str, Target]] = []
        for group in self.target_groups.values():
            delay = timedelta(seconds=scale.wall(group.deregistration_delay.total_seconds()))
            for key, target in list(group.targets.items()):
                if (
                    target.state == DRAINING
                    and target.draining_since is not None
                    and (now - target.draining_since >= delay)
                ):
                    removed.append((group.arn, group.targets.pop(key)))
        return removed

    def describe_target_health(
        self, tg_arn: str, targets: list[dict[str, Any]] | None
    ) -> list[dict[str, Any]]:
        group = self.target_group(tg_arn)
        if targets:
            keys = [(t["Id"], t.get("Port", group.port)) for t in targets]
        else:
            keys = list(group.targets)
        out = []
        for target_id, port in keys:
            target = group.targets.get((target_id, port))
            health: dict[str, Any]
            if target is None:
                health = {
                    "State": UNUSED,
                    "Reason": "Target.NotRegistered",
                    "Description": _REASON_DESCRIPTIONS["Target.NotRegistered"],
                }
            else:
                health = {"State": target.state}
                if target.reason:
                    health["Reason"] = target.reason
                if target.description:
                    health["Description"] = target.description
            description: dict[str, Any] = {
                "Target": {"Id": target_id, "Port": port},
                "HealthCheckPort": str(port)
                if group.health_check.port == "traffic-port"
                else group.health_check.port,
                "TargetHealth": health,
            }
            if target is not None and target.availability_zone:
                description["Target"]["AvailabilityZone"] = target.availability_zone
            out.append(description)
        return out

    def _refresh_unused(self, group: TargetGroup) -> None:
        """Targets in a group no load balancer uses are 'unused'; once used, 'initial'."""
        for target in group.targets.values():
            if not group.load_balancer_arns and target.state != DRAINING:
                target.state, target.reason = UNUSED, "Target.NotInUse"
                target.description = _REASON_DESCRIPTIONS["Target.NotInUse"]
            elif group.load_balancer_arns and target.state == UNUSED:
                target.state, target.reason = INITIAL, "Elb.RegistrationInProgress"
                target.description = _REASON_DESCRIPTIONS["Elb.RegistrationInProgress"]


def response_code_mismatch_description(codes: list[int]) -> str:
    """Description AWS gives with ``Target.ResponseCodeMismatch`` (for the balancer's use)."""
    return _REASON_DESCRIPTIONS["Target.ResponseCodeMismatch"].format(
        codes=", ".join(str(c) for c in codes)
    )
