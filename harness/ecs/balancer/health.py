"""Map HAProxy's view of a server to ALB's target health (state + reason code).

HAProxy knows only UP/DOWN and a last check status; ALB distinguishes a target that has
not passed its first check yet (``initial``) from one that failed (``unhealthy``), and a
deregistering one (``draining``). The driver supplies what HAProxy cannot: whether the
target is deregistering and how long ago it was registered.
"""

from __future__ import annotations

from harness.ecs.balancer.model import (
    HealthCheck,
    TargetHealthReason,
    TargetHealthState,
)
from harness.ecs.balancer.stats import ServerStats

FORCED_DOWN_TRANSITIONS = 1
"""The driver forces every new server DOWN once at registration (HAProxy would otherwise
start it UP before any check); that counts as one ``chkdown`` that is not a real failure."""

_TIMEOUTS = frozenset({"L4TOUT", "L6TOUT", "L7TOUT"})
_NOT_CHECKED_YET = frozenset({"", "INI"})


def target_state(
    stats: ServerStats,
    health_check: HealthCheck,
    *,
    draining: bool,
    seconds_since_registration: float,
) -> tuple[TargetHealthState, TargetHealthReason | None, str]:
    """ALB's (state, reason, description) for one checked (non-backup) server."""
    if draining:
        return (
            TargetHealthState.DRAINING,
            TargetHealthReason.DEREGISTRATION_IN_PROGRESS,
            "Target deregistration is in progress",
        )
    if stats.status.startswith("MAINT"):
        return (
            TargetHealthState.UNUSED,
            TargetHealthReason.NOT_REGISTERED,
            "Target is not registered",
        )
    if stats.status.startswith("UP"):
        return TargetHealthState.HEALTHY, None, ""
    if stats.check_status in _NOT_CHECKED_YET:
        return (
            TargetHealthState.INITIAL,
            TargetHealthReason.REGISTRATION_IN_PROGRESS,
            "Target registration is in progress",
        )
    ever_up = stats.down_transitions > FORCED_DOWN_TRANSITIONS
    budget = health_check.unhealthy_threshold * health_check.interval_s
    if not ever_up and seconds_since_registration < budget:
        return (
            TargetHealthState.INITIAL,
            TargetHealthReason.INITIAL_HEALTH_CHECKING,
            "Initial health checks in progress",
        )
    reason, description = failure_reason(stats, health_check)
    return TargetHealthState.UNHEALTHY, reason, description


def failure_reason(stats: ServerStats, health_check: HealthCheck) -> tuple[TargetHealthReason, str]:
    """Reason code for a failed check, worded like ALB's descriptions."""
    if stats.check_status == "L7STS":
        code = stats.check_code if stats.check_code is not None else "unknown"
        return (
            TargetHealthReason.RESPONSE_CODE_MISMATCH,
            f"Health checks failed with these codes: [{code}]",
        )
    if stats.check_status in _TIMEOUTS:
        return TargetHealthReason.TIMEOUT, "Request timed out"
    return (
        TargetHealthReason.FAILED_HEALTH_CHECKS,
        f"Health checks failed ({stats.check_status or 'no result'})",
    )
