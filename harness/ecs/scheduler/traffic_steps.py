"""How much production traffic the new revision gets at each step, and for how long.

BLUE_GREEN shifts everything at once; LINEAR shifts ``stepPercent`` more at each step
and waits ``stepBakeTimeInMinutes`` between steps (not after 100 %); CANARY shifts
``canaryPercent``, waits ``canaryBakeTimeInMinutes``, then shifts the rest. ELBv2
weights are integers, so each step's percentage is rounded -- never to 0 or 100 before
the last step, so a 0.1 % canary still sends the green group some traffic and blue
keeps some until the end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from harness.ecs.domain import (
    CanaryConfiguration,
    DeploymentConfiguration,
    DeploymentStrategy,
    LinearConfiguration,
)


@dataclass(frozen=True)
class TrafficStep:
    """Green's share of production traffic (percent, integer) and the wait after it
    (AWS seconds, unscaled)."""

    green_weight: int
    bake_after_s: float


def traffic_steps(config: DeploymentConfiguration) -> tuple[TrafficStep, ...]:
    """The production steps of ``config``'s strategy; the last one is always 100 %."""
    match config.strategy:
        case DeploymentStrategy.LINEAR:
            linear = config.linear_configuration or LinearConfiguration()
            count = math.ceil(100.0 / linear.step_percent - 1e-9)
            bake = linear.step_bake_time_in_minutes * 60.0
            steps = [
                TrafficStep(_step_weight(linear.step_percent * (i + 1)), bake)
                for i in range(count - 1)
            ]
            return (*steps, TrafficStep(100, 0.0))
        case DeploymentStrategy.CANARY:
            canary = config.canary_configuration or CanaryConfiguration()
            if canary.canary_percent >= 100:
                return (TrafficStep(100, 0.0),)
            return (
                TrafficStep(
                    _step_weight(canary.canary_percent),
                    canary.canary_bake_time_in_minutes * 60.0,
                ),
                TrafficStep(100, 0.0),
            )
        case _:
            return (TrafficStep(100, 0.0),)


def _step_weight(percent: float) -> int:
    """An intermediate step's integer weight: rounded, kept within 1..99."""
    return min(99, max(1, round(percent)))


def forward_weights(
    blue_group: str, green_group: str, green_weight: int
) -> tuple[tuple[str, int], ...]:
    """A forward action's weights giving ``green_weight`` % to green, the rest to blue."""
    if not 0 <= green_weight <= 100:
        raise ValueError(f"a traffic weight is a percentage 0-100, got {green_weight}")
    return ((blue_group, 100 - green_weight), (green_group, green_weight))
