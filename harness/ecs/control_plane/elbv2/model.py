"""ELBv2 resources as the API shows them: load balancers, listeners, target groups, targets.

The emulator's one model of ELBv2. Durations are AWS's own numbers (seconds, unscaled);
whatever acts on them (HAProxy's driver, through ``harness.ecs.emulator.haproxy_backends``)
scales them on the way out. Defaults are AWS's documented ones, so a test that reads them
back sees what AWS would report. ``describe()`` gives each resource's output shape.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from harness.ecs.control_plane import arns
from harness.ecs.control_plane.elbv2.rules import (
    DEFAULT_PRIORITY,
    Rule,
    describe_rule,
    target_group_arns,
)
from harness.ecs.control_plane.elbv2.target_health import TargetHealthReason, TargetHealthState

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
    """A registered target and its health (``TargetHealthDescriptions[]``)."""

    id: str
    port: int
    availability_zone: str | None
    state: TargetHealthState
    reason: TargetHealthReason | None
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
    """A listener, its default actions (its default rule) and its other rules."""

    arn: str
    load_balancer_arn: str
    port: int
    protocol: str
    default_actions: list[dict[str, Any]]
    rules: dict[str, Rule] = field(default_factory=dict)
    #: Numbers the listener's rules (their ARNs): a replayed journal makes the same ARNs.
    rule_sequence: int = 0

    @property
    def default_rule_arn(self) -> str:
        return arns.listener_rule_arn(self.arn, DEFAULT_PRIORITY)

    def describe(self) -> dict[str, Any]:
        return {
            "ListenerArn": self.arn,
            "LoadBalancerArn": self.load_balancer_arn,
            "Port": self.port,
            "Protocol": self.protocol,
            "DefaultActions": self.default_actions,
        }

    def describe_default_rule(self) -> dict[str, Any]:
        return describe_rule(
            self.default_rule_arn, DEFAULT_PRIORITY, [], self.default_actions, True
        )

    def rules_in_order(self) -> list[Rule]:
        """The non-default rules as AWS evaluates them: lowest priority number first."""
        return sorted(self.rules.values(), key=lambda r: r.priority)

    def target_group_arns(self) -> list[str]:
        """Target groups of the default actions, then of the rules, without repeats."""
        found = target_group_arns(self.default_actions)
        for rule in self.rules_in_order():
            found += [a for a in target_group_arns(rule.actions) if a not in found]
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
