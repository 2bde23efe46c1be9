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
the failures (status DOWN). States, reasons and their wording are the control plane's
(``harness.ecs.control_plane.elbv2.target_health``), so the API shows them unchanged.
"""

from __future__ import annotations

from harness.ecs.control_plane.elbv2.target_health import (
    TargetHealthReason,
    TargetHealthState,
    describe_reason,
    response_code_mismatch_description,
)
from harness.ecs.haproxy.stats import ServerStats

_TIMEOUTS = frozenset({"L4TOUT", "L6TOUT", "L7TOUT"})
_NOT_CHECKED_YET = frozenset({"", "INI"})

#: (state, reason, description): ``TargetHealth`` in the control plane's words.
Health = tuple[TargetHealthState, TargetHealthReason | None, str]


def check_passed(stats: ServerStats) -> bool:
    """The last completed check passed (``L7OK``, or ``L7OKC`` for a conditional pass)."""
    return stats.status.startswith("UP") and stats.check_status.startswith("L7OK")


def server_health(stats: ServerStats, *, draining: bool, passed_once: bool) -> Health:
    """ALB's (state, reason, description) for one checked (non-backup) server.

    ``passed_once``: a check passed since the server was added (the driver remembers it).
    """
    if draining:
        return _with_reason(
            TargetHealthState.DRAINING, TargetHealthReason.DEREGISTRATION_IN_PROGRESS
        )
    if stats.status.startswith("MAINT"):
        return _with_reason(TargetHealthState.UNUSED, TargetHealthReason.NOT_REGISTERED)
    if stats.status.startswith("DOWN"):
        # HAProxy counted ``fall`` consecutive failed checks (from initial or healthy).
        reason, description = failure_reason(stats)
        return TargetHealthState.UNHEALTHY, reason, description
    if passed_once or check_passed(stats):
        # UP, or "UP 1/2": failing but under the unhealthy threshold, healthy as on ALB.
        return TargetHealthState.HEALTHY, None, ""
    if stats.check_status in _NOT_CHECKED_YET:
        return _with_reason(TargetHealthState.INITIAL, TargetHealthReason.REGISTRATION_IN_PROGRESS)
    return _with_reason(TargetHealthState.INITIAL, TargetHealthReason.INITIAL_HEALTH_CHECKING)


def failure_reason(stats: ServerStats) -> tuple[TargetHealthReason, str]:
    """Reason code for a failed check, worded like ALB's descriptions; for a failure ALB
    has no word for, HAProxy's check status is added (``Health checks failed (L4CON)``)."""
    if stats.check_status == "L7STS":
        code = stats.check_code if stats.check_code is not None else "unknown"
        return TargetHealthReason.RESPONSE_CODE_MISMATCH, response_code_mismatch_description([code])
    if stats.check_status in _TIMEOUTS:
        return TargetHealthReason.TIMEOUT, describe_reason(TargetHealthReason.TIMEOUT)
    failed = TargetHealthReason.FAILED_HEALTH_CHECKS
    return failed, f"{describe_reason(failed)} ({stats.check_status or 'no result'})"


def _with_reason(state: TargetHealthState, reason: TargetHealthReason) -> Health:
    return state, reason, describe_reason(reason)
