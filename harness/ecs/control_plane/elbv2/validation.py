"""ELBv2 input rules botocore's shapes do not carry, refused with AWS's ``ValidationError``.

botocore's validation (``harness.ecs.api.validation``) already checks types and lower
bounds; the rules here are the ones it leaves out: upper bounds (thresholds), rules
between members (timeout below interval) or inside a string (names, the health check
path and matcher, attribute values). This is the only place ELBv2 input is judged, so
HAProxy's side never sees a setting it would have to refuse.
"""

from __future__ import annotations

import re
from typing import Any

from harness.ecs.control_plane.elbv2.model import DEFAULT_TARGET_GROUP_ATTRIBUTES, HealthCheck
from harness.ecs.control_plane.errors import ValidationError

_TG_NAME_RE = re.compile(r"^(?!-)[A-Za-z0-9-]{1,32}(?<!-)$")
_LB_NAME_RE = re.compile(r"^(?!-)(?!internal-)[A-Za-z0-9-]{1,32}(?<!-)$")
_MATCHER_RE = re.compile(r"^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$")

#: Integer attributes and their documented ranges (inclusive).
_INTEGER_ATTRIBUTE_RANGES: dict[str, tuple[int, int]] = {
    "deregistration_delay.timeout_seconds": (0, 3600),
    "stickiness.lb_cookie.duration_seconds": (1, 604800),
    "slow_start.duration_seconds": (0, 900),
}


def check_target_group_name(name: str) -> None:
    if not _TG_NAME_RE.match(name):
        raise ValidationError(
            f"Target group name '{name}' can have a maximum of 32 characters, contain "
            "only alphanumeric characters or hyphens, and must not begin or end with a "
            "hyphen."
        )


def check_load_balancer_name(name: str) -> None:
    if not _LB_NAME_RE.match(name):
        raise ValidationError(
            f"Load balancer name '{name}' can have a maximum of 32 characters, contain "
            "only alphanumeric characters or hyphens, must not begin or end with a hyphen "
            "and must not begin with 'internal-'."
        )


def health_check_from_request(request: dict[str, Any], protocol: str | None) -> HealthCheck:
    """A ``CreateTargetGroup`` request's health check, AWS's defaults filled in, checked."""
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
    check_health_check(health_check)
    return health_check


def check_health_check(health_check: HealthCheck) -> None:
    """The health check rules between members and inside strings, in AWS's words."""
    if health_check.timeout_seconds >= health_check.interval_seconds:
        raise ValidationError(
            f"Health check timeout ({health_check.timeout_seconds}) must be smaller than "
            f"the interval ({health_check.interval_seconds})."
        )
    for member, value in (
        ("HealthyThresholdCount", health_check.healthy_threshold),
        ("UnhealthyThresholdCount", health_check.unhealthy_threshold),
    ):
        if not 2 <= value <= 10:
            raise ValidationError(f"{member} must be from 2 to 10, not {value}.")
    path = health_check.path
    if not path.startswith("/") or any(c.isspace() for c in path):
        raise ValidationError(
            f"Health check path '{path}' must begin with a '/' character and contain no spaces."
        )
    if not _MATCHER_RE.match(health_check.matcher):
        raise ValidationError(
            f"Matcher HttpCode '{health_check.matcher}' must be a code ('200'), a list of "
            "codes ('200,202') or a range ('200-299')."
        )


def checked_attributes(attributes: list[dict[str, str]]) -> dict[str, str]:
    """``ModifyTargetGroupAttributes``'s changes, all validated before any is applied."""
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
    return changes


#: Listener action types Drydock emulates.
_ACTION_TYPES = ("forward", "fixed-response", "redirect")


def check_listener_actions(actions: list[dict[str, Any]]) -> None:
    for action in actions:
        if action.get("Type") not in _ACTION_TYPES:
            raise ValidationError(
                f"Action type '{action.get('Type')}' is not supported by Drydock; use 'forward'"
            )
