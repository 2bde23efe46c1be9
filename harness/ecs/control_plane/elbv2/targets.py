"""A target group's targets: registration, draining and health, as ELBv2 keeps them.

Functions over one :class:`TargetGroup`; the registry finds the group and holds the
lock. Nothing here times anything: a draining target leaves its group when whatever
routes the traffic (HAProxy's driver in the emulator) says the deregistration delay is
over (:func:`finish_draining`), so there is one draining clock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from harness.ecs.control_plane.elbv2.model import Target, TargetGroup
from harness.ecs.control_plane.elbv2.target_health import (
    TargetHealthReason,
    TargetHealthState,
    describe_reason,
)
from harness.ecs.control_plane.errors import InvalidTarget

_DRAINING = TargetHealthState.DRAINING


def register(group: TargetGroup, targets: list[dict[str, Any]], now: datetime) -> None:
    for spec in targets:
        port = spec.get("Port", group.port)
        if port is None:
            raise InvalidTarget(
                f"Target '{spec['Id']}' needs a port: the target group has no default port"
            )
        key = (spec["Id"], port)
        existing = group.targets.get(key)
        if existing is not None and existing.state != _DRAINING:
            continue  # re-registering is a no-op in AWS
        reason = TargetHealthReason.REGISTRATION_IN_PROGRESS
        group.targets[key] = Target(
            id=spec["Id"],
            port=port,
            availability_zone=spec.get("AvailabilityZone"),
            state=TargetHealthState.INITIAL,
            reason=reason,
            description=describe_reason(reason),
            registered_at=now,
        )
    refresh_unused(group)


def deregister(group: TargetGroup, targets: list[dict[str, Any]], now: datetime) -> None:
    """Start draining. With a delay of 0 the targets go at once, as in AWS."""
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
        if target.state != _DRAINING:
            target.state, target.reason = _DRAINING, TargetHealthReason.DEREGISTRATION_IN_PROGRESS
            target.description = describe_reason(target.reason)
            target.draining_since = now


def finish_draining(group: TargetGroup, target_id: str, port: int) -> Target | None:
    """The deregistration delay of a draining target is over: it leaves the group.

    A target registered again meanwhile (no longer draining) stays.
    """
    target = group.targets.get((target_id, port))
    if target is None or target.state != _DRAINING:
        return None
    return group.targets.pop((target_id, port))


def set_health(
    group: TargetGroup,
    target_id: str,
    port: int,
    state: TargetHealthState | str,
    reason: TargetHealthReason | str | None = None,
    description: str | None = None,
) -> None:
    """Record a health check result. Draining targets keep draining whatever their checks
    say, as in AWS; without a description, AWS's for the reason."""
    target = group.targets.get((target_id, port))
    if target is None or target.state == _DRAINING:
        return
    target.state = TargetHealthState(state)
    target.reason = TargetHealthReason(reason) if reason else None
    target.description = description or (describe_reason(target.reason) if target.reason else None)


def describe_health(
    group: TargetGroup, targets: list[dict[str, Any]] | None
) -> list[dict[str, Any]]:
    """``TargetHealthDescriptions``: the asked-for targets, or every registered one."""
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
                "State": str(TargetHealthState.UNUSED),
                "Reason": str(TargetHealthReason.NOT_REGISTERED),
                "Description": describe_reason(TargetHealthReason.NOT_REGISTERED),
            }
        else:
            health = {"State": str(target.state)}
            if target.reason:
                health["Reason"] = str(target.reason)
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


def refresh_unused(group: TargetGroup) -> None:
    """Targets in a group no load balancer uses are 'unused'; once used, 'initial'."""
    for target in group.targets.values():
        if not group.load_balancer_arns and target.state != _DRAINING:
            target.state, target.reason = TargetHealthState.UNUSED, TargetHealthReason.NOT_IN_USE
            target.description = describe_reason(target.reason)
        elif group.load_balancer_arns and target.state == TargetHealthState.UNUSED:
            target.state = TargetHealthState.INITIAL
            target.reason = TargetHealthReason.REGISTRATION_IN_PROGRESS
            target.description = describe_reason(target.reason)
