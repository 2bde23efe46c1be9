"""AWS seconds -> wall seconds: the one place Drydock compresses time.

Every duration a user sets or AWS documents (a 300 s deregistration delay, a 30 s
health check interval, 40 s until an unchecked task counts healthy) is kept as AWS's
number in state and in API answers; whatever acts on it (the scheduler, HAProxy's
driver) converts it here, so ``DRYDOCK_TIME_SCALE=0.05`` shortens all of them alike and
nothing is scaled twice or forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TimeScale:
    """``factor`` wall seconds per AWS second (1: AWS's own pace; 0.05: 20 times faster)."""

    factor: float = 1.0

    def __post_init__(self) -> None:
        if not self.factor > 0:
            raise ValueError(f"the time scale must be > 0, got {self.factor}")

    def wall(self, aws_seconds: float) -> float:
        """How long ``aws_seconds`` last here."""
        return aws_seconds * self.factor

    def wall_at_least(self, aws_seconds: float, floor_s: float) -> float:
        """How long ``aws_seconds`` last here, never under ``floor_s`` wall seconds: for
        durations bounded by real work (a network round trip, a connection's idle time)
        that do not get faster with the scale."""
        return max(floor_s, self.wall(aws_seconds))
