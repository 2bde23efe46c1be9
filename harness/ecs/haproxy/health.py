"""Map HAProxy's view of a server to ALB's target health (state + reason code).

HAProxy knows only UP/DOWN and a last check status; ALB distinguishes a target that has
not passed its first check yet (``initial``) from one that failed (``unhealthy``), and a
deregistering one (``draining``). The driver supplies what HAProxy cannot: whether the
target is deregistering and whether one of its checks has passed since registration.

Counting is HAProxy's, never the clock's. A new server starts UP with a full health
counter and weight 0 (see the driver), so HAProxy itself takes it DOWN after ``fall`` =
``unhealthy_threshold`` consecutive failed checks, however late or slow those checks run
on a busy machine. ALB's rules follow directly: ``initial`` until the first pass or the
threshold of failures, ``healthy`` after one pass, ``unhealthy`` only when HAProxy counted
the failures (status DOWN).
"""

from __future__ import annotations

from harness.ecs.haproxy.model import (
    HealthCheck,
    TargetHealthReason,
    TargetHealthState,
)
from harness.ecs.haproxy.stats import ServerStats

_TIMEOUTS = frozenset({"L4TOUT", "L6TOUT", "L7TOUT"})
_NOT_CHECKED_YET = frozenset({"", "INI"})


def check_passed(stats: ServerStats) -> bool:
    """The last completed check passed (``L7OK``, or ``L7OKC`` for a conditional pass)."""
    return stats.status.startswith("UP") and stats.check_status.startswith("L7OK")


def target_state(
    stats: ServerStats,
    health_check: HealthCheck,
    *,
    draining: bool,
    passed_once: bool,
) -> tuple[TargetHealthState, TargetHealthReason | None, str]:
    """ALB's (state, reason, description) for one checked (non-backup) server.

    ``passed_once``: a check passed since registration (the driver remembers it).
    """
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
    if stats.status.startswith("DOWN"):
        # HAProxy counted ``fall`` consecutive failed checks (from initial or healthy).
        reason, description = failure_reason(stats, health_check)
        return TargetHealthState.UNHEALTHY, reason, description
    if passed_once or check_passed(stats):
        # UP, or "UP 1/2": failing but under the unhealthy threshold, healthy as on ALB.
        return TargetHealthState.HEALTHY, None, ""
    if stats.check_status in _NOT_CHECKED_YET:
        return (
            TargetHealthState.INITIAL,
            TargetHealthReason.REGISTRATION_IN_PROGRESS,
            "Target registration is in progress",
        )
    return (
        TargetHealthState.INITIAL,
        TargetHealthReason.INITIAL_HEALTH_CHECKING,
        "Initial health checks in progress",
    )


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
