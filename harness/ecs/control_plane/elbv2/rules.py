"""Listener rules: conditions, weighted forward actions, and how a request is matched.

A listener's rules are tried in priority order (lowest number first) and the first whose
conditions all match decides; the listener's default actions are its default rule
(``IsDefault``, priority ``default``), which matches everything. Matching follows AWS's
documented semantics (Elastic Load Balancing, "Listener rules for your Application Load
Balancer"):

* ``path-pattern``: compared with the URL path only (no query string), case sensitive;
* ``host-header``: compared with the host name (no port), case insensitive;
* ``http-header``: the header name is case insensitive (HTTP's), its value compared case
  insensitively;
* in all three, ``*`` matches zero or more characters and ``?`` exactly one; several
  values in one condition are alternatives (any matches), several conditions must all
  match.

:func:`wildcard_regex` is the one translation of a pattern to a regular expression, used
by :meth:`Rule.matches` here and by HAProxy's ACLs (``harness.ecs.emulator.haproxy_backends``),
so the two cannot disagree. :func:`forward_weights` reads a forward action in both of
AWS's spellings (``TargetGroupArn`` or ``ForwardConfig.TargetGroups[].Weight``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

PATH_PATTERN = "path-pattern"
HOST_HEADER = "host-header"
HTTP_HEADER = "http-header"
DEFAULT_PRIORITY = "default"
#: The weight a ``ForwardConfig`` target group without ``Weight`` gets, and the one AWS
#: shows for the ``TargetGroupArn`` shortcut.
DEFAULT_WEIGHT = 1


def wildcard_regex(pattern: str) -> str:
    """AWS's ``*``/``?`` pattern as an anchored regex; every other character is literal."""
    parts = [".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern]
    return "^" + "".join(parts) + "$"


@lru_cache(maxsize=1024)
def _compiled(pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    flags = re.DOTALL | (0 if case_sensitive else re.IGNORECASE)
    return re.compile(wildcard_regex(pattern), flags)


@dataclass(frozen=True)
class Condition:
    """One rule condition, normalised: its field, the header it reads, its values."""

    field: str
    values: tuple[str, ...]
    header: str | None = None

    @property
    def case_sensitive(self) -> bool:
        return self.field == PATH_PATTERN

    def matches(self, path: str, host: str, headers: Mapping[str, list[str]]) -> bool:
        """``headers``: lower-cased name -> every value the request carries."""
        if self.field == PATH_PATTERN:
            subjects = [path]
        elif self.field == HOST_HEADER:
            subjects = [host_name(host)]
        else:
            subjects = list(headers.get((self.header or "").lower(), []))
        return any(
            _compiled(value, self.case_sensitive).match(subject)
            for value in self.values
            for subject in subjects
        )

    def describe(self) -> dict[str, Any]:
        """The ``RuleCondition`` output shape, as AWS echoes it (legacy ``Values`` too)."""
        values = list(self.values)
        if self.field == PATH_PATTERN:
            return {"Field": self.field, "Values": values, "PathPatternConfig": {"Values": values}}
        if self.field == HOST_HEADER:
            return {"Field": self.field, "Values": values, "HostHeaderConfig": {"Values": values}}
        return {
            "Field": self.field,
            "HttpHeaderConfig": {"HttpHeaderName": self.header, "Values": values},
        }


def host_name(host: str) -> str:
    """The Host header without its port (``[v6]:port`` keeps the brackets)."""
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.split(":", 1)[0]


@dataclass
class Rule:
    """A non-default listener rule (the default rule is the listener's default actions)."""

    arn: str
    listener_arn: str
    priority: int
    conditions: list[Condition]
    actions: list[dict[str, Any]]
    tags: list[dict[str, str]] = field(default_factory=list)

    def matches(self, path: str, host: str, headers: Mapping[str, list[str]]) -> bool:
        return all(c.matches(path, host, headers) for c in self.conditions)

    def describe(self) -> dict[str, Any]:
        return describe_rule(self.arn, str(self.priority), self.conditions, self.actions, False)


def describe_rule(
    arn: str,
    priority: str,
    conditions: list[Condition],
    actions: list[dict[str, Any]],
    is_default: bool,
) -> dict[str, Any]:
    """The ``Rule`` output shape (a listener's default rule has no conditions)."""
    return {
        "RuleArn": arn,
        "Priority": priority,
        "Conditions": [c.describe() for c in conditions],
        "Actions": actions,
        "IsDefault": is_default,
    }


def forward_weights(action: Mapping[str, Any]) -> dict[str, int]:
    """Target group ARN -> weight of a ``forward`` action (either spelling)."""
    groups = (action.get("ForwardConfig") or {}).get("TargetGroups") or []
    if groups:
        return {g["TargetGroupArn"]: int(g.get("Weight", DEFAULT_WEIGHT)) for g in groups}
    if action.get("TargetGroupArn"):
        return {action["TargetGroupArn"]: DEFAULT_WEIGHT}
    return {}


def forward_action(
    weights: Mapping[str, int], stickiness: Mapping[str, Any] | None = None, order: int = 1
) -> dict[str, Any]:
    """A ``forward`` action as AWS describes it: ``ForwardConfig`` always, and the
    ``TargetGroupArn`` shortcut too when there is one target group."""
    action: dict[str, Any] = {
        "Type": "forward",
        "Order": order,
        "ForwardConfig": {
            "TargetGroups": [{"TargetGroupArn": a, "Weight": w} for a, w in weights.items()],
            "TargetGroupStickinessConfig": dict(stickiness or {"Enabled": False}),
        },
    }
    if len(weights) == 1:
        action["TargetGroupArn"] = next(iter(weights))
    return action


def target_group_arns(actions: list[dict[str, Any]]) -> list[str]:
    """Every target group the actions forward to, in order, without repeats."""
    found: list[str] = []
    for action in actions:
        for arn in forward_weights(action):
            if arn not in found:
                found.append(arn)
    return found
