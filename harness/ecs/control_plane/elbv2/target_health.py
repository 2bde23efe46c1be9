"""Target health as ``DescribeTargetHealth`` reports it: states, reason codes, AWS's wording.

The one vocabulary for a target's health: the registry stores it, the API answers with
it, and HAProxy's health mapping (``harness.ecs.haproxy.health``) returns it, so a state
or a description is spelled in one place.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class TargetHealthState(StrEnum):
    """``TargetHealth.State``."""

    INITIAL = "initial"
    HEALTHY = "healthy"
    UNHEALTHY = "unhealthy"
    UNUSED = "unused"
    DRAINING = "draining"
    UNAVAILABLE = "unavailable"


class TargetHealthReason(StrEnum):
    """``TargetHealth.Reason`` codes, AWS's own strings."""

    REGISTRATION_IN_PROGRESS = "Elb.RegistrationInProgress"
    INITIAL_HEALTH_CHECKING = "Elb.InitialHealthChecking"
    RESPONSE_CODE_MISMATCH = "Target.ResponseCodeMismatch"
    TIMEOUT = "Target.Timeout"
    FAILED_HEALTH_CHECKS = "Target.FailedHealthChecks"
    DEREGISTRATION_IN_PROGRESS = "Target.DeregistrationInProgress"
    NOT_IN_USE = "Target.NotInUse"
    NOT_REGISTERED = "Target.NotRegistered"
    INTERNAL_ERROR = "Elb.InternalError"


#: ``TargetHealth.Description`` AWS gives with each reason.
REASON_DESCRIPTIONS: dict[TargetHealthReason, str] = {
    TargetHealthReason.REGISTRATION_IN_PROGRESS: "Target registration is in progress",
    TargetHealthReason.INITIAL_HEALTH_CHECKING: "Initial health checks in progress",
    TargetHealthReason.RESPONSE_CODE_MISMATCH: "Health checks failed with these codes: [{codes}]",
    TargetHealthReason.TIMEOUT: "Request timed out",
    TargetHealthReason.FAILED_HEALTH_CHECKS: "Health checks failed",
    TargetHealthReason.DEREGISTRATION_IN_PROGRESS: "Target deregistration is in progress",
    TargetHealthReason.NOT_IN_USE: (
        "Target group is not configured to receive traffic from the load balancer"
    ),
    TargetHealthReason.NOT_REGISTERED: "Target is not registered to the target group",
    TargetHealthReason.INTERNAL_ERROR: "Health checks failed due to an internal error",
}


def describe_reason(reason: TargetHealthReason) -> str:
    """AWS's description of ``reason`` (for a code mismatch, see the function below)."""
    return REASON_DESCRIPTIONS[reason]


def response_code_mismatch_description(codes: Iterable[int | str]) -> str:
    """Description AWS gives with ``Target.ResponseCodeMismatch``: the codes it received."""
    return REASON_DESCRIPTIONS[TargetHealthReason.RESPONSE_CODE_MISMATCH].format(
        codes=", ".join(str(c) for c in codes)
    )
