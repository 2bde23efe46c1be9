"""The deployment circuit breaker's threshold and bookkeeping.

Failures are counted on ``Deployment.failed_tasks``, which AWS defines as the number of
*consecutively* failed tasks: a task of the deployment becoming healthy resets it.
"""

from __future__ import annotations

import math

from harness.ecs.domain import Deployment, DeploymentConfiguration, RolloutState
from harness.ecs.scheduler.settings import SchedulerSettings

FAILED_REASON = "ECS deployment circuit breaker: tasks failed to start."


def failure_threshold(desired_count: int, settings: SchedulerSettings) -> int:
    """ceil(0.5 x desiredCount), clamped to [min threshold (3 by default), 200]."""
    raw = math.ceil(0.5 * desired_count)
    return min(
        max(raw, settings.circuit_breaker_min_threshold), settings.circuit_breaker_max_threshold
    )


def record_failure(
    deployment: Deployment,
    config: DeploymentConfiguration,
    settings: SchedulerSettings,
) -> bool:
    """Count one failed task; True when this failure trips the breaker."""
    if deployment.rollout_state is not RolloutState.IN_PROGRESS:
        return False
    deployment.failed_tasks += 1
    if not config.deployment_circuit_breaker.enable:
        return False
    return deployment.failed_tasks >= failure_threshold(deployment.desired_count, settings)


def record_success(deployment: Deployment) -> None:
    if deployment.rollout_state is RolloutState.IN_PROGRESS:
        deployment.failed_tasks = 0
