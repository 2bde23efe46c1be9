"""Knobs of the scheduler that AWS does not expose per service."""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.time_scale import TimeScale


@dataclass(frozen=True)
class SchedulerSettings:
    """``time`` turns every AWS duration into wall time (a scale of 0.05 turns 40 s into 2 s).

    ``circuit_breaker_min_threshold`` is 3 in the current API reference; an older guide
    said 10, so it is configurable. ``no_health_check_ready_after`` is how long a task
    with neither a load balancer nor a container health check must run to count healthy.
    All durations are AWS seconds, converted by ``time`` where the scheduler uses them.
    """

    time: TimeScale = field(default_factory=TimeScale)
    circuit_breaker_min_threshold: int = 3
    circuit_breaker_max_threshold: int = 200
    no_health_check_ready_after: float = 40.0
    #: STOPPED tasks stay describable this long (AWS: at least an hour), then are dropped
    #: so a crash-looping service does not grow without bound.
    stopped_task_retention: float = 3600.0
