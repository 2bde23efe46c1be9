"""ELBv2 (the control plane's model, AWS seconds) in HAProxy's words (wall seconds).

The one translation between the two: a target group becomes a :class:`Backend` with its
:class:`Check` and drain time, a listener a frontend port, a task's registered container
a :class:`Server`. Every AWS duration (health check interval and timeout, deregistration
delay) becomes wall time here through the emulator's :class:`~harness.time_scale.TimeScale`;
the ELBv2 API keeps showing AWS's numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from harness.ecs.control_plane.elbv2.model import Listener, TargetGroup
from harness.ecs.haproxy.model import Backend, Check, Server
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


def frontends_of(listeners: Iterable[Listener], backends: Mapping[str, Backend]) -> dict[int, str]:
    """Listener port -> backend name, for listeners whose first target group has a backend
    (``backends``: target group ARN -> backend)."""
    return {
        listener.port: backends[arns[0]].name
        for listener in listeners
        if (arns := listener.target_group_arns()) and arns[0] in backends
    }


def server_of(task_arn: str, ip: str, port: int) -> Server:
    """A task's registered container as a server, named by its task id."""
    return Server(task_id(task_arn), ip, port)
