"""Listener rule input that botocore's shapes do not judge, refused in AWS's words.

botocore checks types and the priority's range (1..50000); what is left is here: the
condition fields Drydock emulates and AWS's limits on them (one ``path-pattern`` and one
``host-header`` per rule, at most three values per condition and five per rule, 128
characters a value, header names as RFC 7230 spells them and never ``Host``), and the
forward action (weights 0..999, at most five target groups, not all weighted 0, both
spellings agreeing). Everything here raises ``ValidationError``; target groups that do
not exist are the registry's (``TargetGroupNotFound``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from harness.ecs.control_plane.elbv2.rules import (
    HOST_HEADER,
    HTTP_HEADER,
    PATH_PATTERN,
    Condition,
    forward_action,
    forward_weights,
)
from harness.ecs.control_plane.errors import ValidationError

MAX_WEIGHT = 999
MAX_TARGET_GROUPS_PER_FORWARD = 5
MAX_VALUES_PER_CONDITION = 3
MAX_VALUES_PER_RULE = 5
MAX_VALUE_LENGTH = 128
MAX_HEADER_NAME_LENGTH = 40
_EMULATED_FIELDS = (PATH_PATTERN, HOST_HEADER, HTTP_HEADER)
_CONFIG_MEMBER = {
    PATH_PATTERN: "PathPatternConfig",
    HOST_HEADER: "HostHeaderConfig",
    HTTP_HEADER: "HttpHeaderConfig",
}
#: RFC 7230 ``token``.
_HEADER_NAME_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
_PATH_RE = re.compile(r"^[A-Za-z0-9_\-.$/~\"'@:+&*?]+$")
_HOST_RE = re.compile(r"^[A-Za-z0-9\-.*?]+$")
_PRINTABLE_RE = re.compile(r"^[\x20-\x7e]+$")


def conditions_from_request(conditions: list[dict[str, Any]]) -> list[Condition]:
    """A rule's ``Conditions`` as :class:`Condition` objects, all checked first."""
    if not conditions:
        raise ValidationError("A rule must have at least one condition.")
    found = [_condition(c) for c in conditions]
    for single in (PATH_PATTERN, HOST_HEADER):
        if sum(c.field == single for c in found) > 1:
            raise ValidationError(f"A rule can have at most one '{single}' condition.")
    total = sum(len(c.values) for c in found)
    if total > MAX_VALUES_PER_RULE:
        raise ValidationError(
            f"A rule can have at most {MAX_VALUES_PER_RULE} condition values in all, not {total}."
        )
    return found


def _condition(request: dict[str, Any]) -> Condition:
    name = request.get("Field")
    if name not in _EMULATED_FIELDS:
        raise ValidationError(
            f"Condition field '{name}' is not supported by Drydock; use one of "
            f"{', '.join(_EMULATED_FIELDS)}."
        )
    config = request.get(_CONFIG_MEMBER[name]) or {}
    legacy = request.get("Values")
    if name == HTTP_HEADER and legacy:
        raise ValidationError("An 'http-header' condition takes its values in HttpHeaderConfig.")
    if legacy and config.get("Values"):
        raise ValidationError(
            f"Specify the '{name}' values either in Values or in {_CONFIG_MEMBER[name]}, not both."
        )
    if config.get("RegexValues"):
        raise ValidationError(f"RegexValues of '{name}' conditions are not supported by Drydock.")
    values = tuple(legacy or config.get("Values") or ())
    if not values:
        raise ValidationError(f"A '{name}' condition must have at least one value.")
    if len(values) > MAX_VALUES_PER_CONDITION:
        raise ValidationError(
            f"A '{name}' condition can have at most {MAX_VALUES_PER_CONDITION} values, "
            f"not {len(values)}."
        )
    for value in values:
        _check_value(name, value)
    header = None
    if name == HTTP_HEADER:
        header = config.get("HttpHeaderName") or ""
        if not _HEADER_NAME_RE.match(header) or len(header) > MAX_HEADER_NAME_LENGTH:
            raise ValidationError(
                f"HTTP header name '{header}' must be 1 to {MAX_HEADER_NAME_LENGTH} "
                "characters that RFC 7230 allows in a header name."
            )
        if header.lower() == "host":
            raise ValidationError(
                "An 'http-header' condition cannot match the Host header; "
                "use a 'host-header' condition."
            )
    return Condition(name, values, header)


def _check_value(name: str, value: str) -> None:
    if not 1 <= len(value) <= MAX_VALUE_LENGTH:
        raise ValidationError(
            f"'{name}' value '{value}' must be 1 to {MAX_VALUE_LENGTH} characters long."
        )
    allowed = {PATH_PATTERN: _PATH_RE, HOST_HEADER: _HOST_RE, HTTP_HEADER: _PRINTABLE_RE}[name]
    if not allowed.match(value):
        raise ValidationError(f"'{name}' value '{value}' contains characters it cannot have.")
    if name == HOST_HEADER and "." not in value:
        raise ValidationError(f"Host header value '{value}' must include at least one '.'.")


def normalised_forward(action: dict[str, Any]) -> dict[str, Any]:
    """A ``forward`` action checked and spelt as AWS describes it (``Order`` kept)."""
    config = action.get("ForwardConfig") or {}
    listed = config.get("TargetGroups") or []
    shortcut = action.get("TargetGroupArn")
    if not listed and not shortcut:
        raise ValidationError("A forward action needs TargetGroupArn or ForwardConfig.")
    if listed and shortcut and (len(listed) != 1 or listed[0].get("TargetGroupArn") != shortcut):
        raise ValidationError(
            "With both TargetGroupArn and ForwardConfig, ForwardConfig must name that "
            "one target group only."
        )
    arns = [g.get("TargetGroupArn") for g in listed]
    if not all(arns):
        raise ValidationError("Each target group of a ForwardConfig needs a TargetGroupArn.")
    if len(set(arns)) != len(arns):
        raise ValidationError("A forward action names the same target group more than once.")
    weights = forward_weights(action)
    check_weights(weights)
    stickiness = config.get("TargetGroupStickinessConfig")
    return forward_action(weights, stickiness, action.get("Order", 1))


def check_weights(weights: Mapping[str, int]) -> None:
    """Weights of one forward action: AWS's range, count, and someone must get traffic."""
    if not weights:
        raise ValidationError("A forward action must name at least one target group.")
    if len(weights) > MAX_TARGET_GROUPS_PER_FORWARD:
        raise ValidationError(
            f"A forward action can have at most {MAX_TARGET_GROUPS_PER_FORWARD} target groups, "
            f"not {len(weights)}."
        )
    for arn, weight in weights.items():
        if not 0 <= weight <= MAX_WEIGHT:
            raise ValidationError(
                f"Weight {weight} of target group '{arn}' must be from 0 to {MAX_WEIGHT}."
            )
    if not any(weights.values()):
        # all 0 would route nowhere; Drydock refuses it rather than guess at a 503
        raise ValidationError("At least one target group of a forward action needs a weight > 0.")


def rule_actions(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A rule's actions: exactly one, a forward action (what Drydock routes)."""
    if len(actions) != 1:
        raise ValidationError(
            f"A rule of Drydock's takes exactly one action (a forward), not {len(actions)}."
        )
    if actions[0].get("Type") != "forward":
        raise ValidationError(
            f"Action type '{actions[0].get('Type')}' is not supported in rules by Drydock; "
            "use 'forward'."
        )
    return [normalised_forward(actions[0])]
