"""Knobs of the scheduler that AWS does not expose per service."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SchedulerSettings:
    """``time_scale`` multiplies every AWS duration (0.05 turns 40 s into 2 s).

    ``circuit_breaker_min_threshold`` is 3 in the current API reference; an older guide
    said 10, so it is configurable. ``no_health_check_ready_after`` is how long a task
    with neither a load balancer nor a container health check must run to count healthy.
    All durations are AWS seconds, scaled by ``time_scale`` where the scheduler uses them.
    """

    time_scale: float = 1.0
    circuit_breaker_min_threshold: int = 3
    circuit_breaker_max_threshold: int = 200
    no_health_check_ready_after: float = 40.0
    #: STOPPED tasks stay describable this long (AWS: at least an hour), then are dropped
    #: so a crash-looping service does not grow without bound.
    stopped_task_retention: float = 3600.0

    def __post_init__(self) -> None:
        if not self.time_scale > 0:
            raise ValueError(f"time_scale must be > 0, got {self.time_scale}")

    def scaled(self, seconds: float) -> float:
        return seconds * self.time_scale
