"""ELBv2 (the control plane's model, AWS seconds) in HAProxy's words (wall seconds).

The one translation between the two: a target group becomes a :class:`Backend` with its
:class:`Check` and drain time, a listener and its rules a :class:`Frontend` (routes with
weights), a task's registered container a :class:`Server`. Every AWS duration (health
check interval and timeout, deregistration delay) becomes wall time here through the
emulator's :class:`~harness.time_scale.TimeScale`; the ELBv2 API keeps showing AWS's
numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from harness.ecs.control_plane.elbv2.model import Listener, TargetGroup
from harness.ecs.control_plane.elbv2.rules import (
    HOST_HEADER,
    HTTP_HEADER,
    PATH_PATTERN,
    Condition,
    forward_weights,
    wildcard_regex,
)
from harness.ecs.haproxy.model import Backend, Check, Server
from harness.ecs.haproxy.routing import HEADER, HOST, PATH, Frontend, Match, Route
from harness.ecs.runtime.task_containers import task_id
from harness.time_scale import TimeScale

#: A health check answer is a network round trip plus the app's work: it does not get
#: faster with the time scale, so a scaled timeout never goes below this (seconds).
MIN_CHECK_TIMEOUT_S = 0.5


def backend_of(group: TargetGroup, scale: TimeScale) -> Backend:
    """The target group as an HAProxy backend, durations scaled.

    The interval and the deregistration delay scale as they are; the timeout scales too
    but is kept at ``MIN_CHECK_TIMEOUT_S`` at least (and below the interval, as ALB
    requires), or a busy machine would fail healthy targets on latency alone.
    """
    hc = group.health_check
    inter = scale.wall(hc.interval_seconds)
    timeout = min(scale.wall_at_least(hc.timeout_seconds, MIN_CHECK_TIMEOUT_S), inter * 0.8)
    return Backend(
        name=group.name,
        check=Check(
            path=hc.path,
            inter_s=inter,
            timeout_s=timeout,
            fall=hc.unhealthy_threshold,
            expect_status=hc.matcher,
        ),
        drain_s=scale.wall(group.deregistration_delay.total_seconds()),
    )


def frontends_of(
    listeners: Iterable[Listener], backends: Mapping[str, Backend]
) -> dict[int, Frontend]:
    """Listener port -> its routing: each rule in priority order, then the default rule
    (``backends``: target group ARN -> backend). A rule whose target groups have no
    backend yet is left out; a listener whose default actions forward nowhere (a fixed
    response, a redirect) is not served."""
    found: dict[int, Frontend] = {}
    for listener in listeners:
        routes = [
            route
            for rule in listener.rules_in_order()
            if (route := _route(rule.actions, backends, rule.conditions)) is not None
        ]
        default = _route(listener.default_actions, backends, [])
        if default is not None:
            found[listener.port] = Frontend(listener.port, (*routes, default))
    return found


def _route(
    actions: list[dict[str, Any]], backends: Mapping[str, Backend], conditions: list[Condition]
) -> Route | None:
    forward = next((a for a in actions if a.get("Type") == "forward"), None)
    weights = forward_weights(forward) if forward else {}
    if not weights or any(arn not in backends for arn in weights):
        return None
    return Route(
        tuple(match_of(c) for c in conditions),
        tuple(backends[arn].name for arn in weights),
        tuple(weights.values()),
    )


def match_of(condition: Condition) -> Match:
    """A rule condition as an HAProxy match, with the control plane's own regexes."""
    part = {PATH_PATTERN: PATH, HOST_HEADER: HOST, HTTP_HEADER: HEADER}[condition.field]
    return Match(
        part,
        tuple(wildcard_regex(v) for v in condition.values),
        ignore_case=not condition.case_sensitive,
        header=condition.header,
    )


def server_of(task_arn: str, ip: str, port: int) -> Server:
    """A task's registered container as a server, named by its task id."""
    return Server(task_id(task_arn), ip, port)
