"""When a task counts as healthy, and when it has failed its health checks.

Who evaluates what (a decision, documented in the package docstring too):

* Container health checks: the runtime runs the command every ``interval`` and reports
  each result (a run over ``timeout`` is a failure). The scheduler applies ``retries``
  and ``startPeriod`` here, the way Docker does: failures inside the start period do not
  count, a pass marks the container HEALTHY at once, ``retries`` consecutive failures
  mark it UNHEALTHY. Keeping the counting here makes it testable without Docker and the
  same whatever the runtime is.
* Load-balancer health: the balancer applies its thresholds (healthy after one pass for
  a new target, unhealthy after the unhealthy threshold) and reports changes only.
* The grace period (``healthCheckGracePeriodSeconds``) is applied by the scheduler when
  it acts on an unhealthy signal: inside the grace period it is ignored, and the
  scheduler wakes up when the grace period ends to look again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from harness.ecs.domain import ContainerSpec, HealthStatus, TaskDefinitionSpec
from harness.time_scale import TimeScale


@dataclass
class _ContainerCheck:
    spec: ContainerSpec
    status: HealthStatus = HealthStatus.UNKNOWN
    consecutive_failures: int = 0


@dataclass
class ContainerHealthTracker:
    """Health of one task's essential, health-checked containers."""

    checks: dict[str, _ContainerCheck] = field(default_factory=dict)

    @classmethod
    def for_task_definition(cls, spec: TaskDefinitionSpec) -> ContainerHealthTracker:
        return cls({c.name: _ContainerCheck(c) for c in spec.health_checked})

    @property
    def has_checks(self) -> bool:
        return bool(self.checks)

    def record(
        self, container_name: str, passed: bool, seconds_since_start: float, scale: TimeScale
    ) -> HealthStatus | None:
        """Apply one check result; returns the container's status, None if not checked."""
        check = self.checks.get(container_name)
        if check is None or check.spec.health_check is None:
            return None
        if passed:
            check.status = HealthStatus.HEALTHY
            check.consecutive_failures = 0
        elif seconds_since_start >= scale.wall(check.spec.health_check.start_period):
            check.consecutive_failures += 1
            if check.consecutive_failures >= check.spec.health_check.retries:
                check.status = HealthStatus.UNHEALTHY
        return check.status

    def status(self, container_name: str) -> HealthStatus:
        check = self.checks.get(container_name)
        return check.status if check else HealthStatus.UNKNOWN

    @property
    def task_status(self) -> HealthStatus:
        """HEALTHY when all pass, UNHEALTHY when any fails, else UNKNOWN (as AWS reports)."""
        statuses = [c.status for c in self.checks.values()]
        if not statuses:
            return HealthStatus.UNKNOWN
        if HealthStatus.UNHEALTHY in statuses:
            return HealthStatus.UNHEALTHY
        if all(s is HealthStatus.HEALTHY for s in statuses):
            return HealthStatus.HEALTHY
        return HealthStatus.UNKNOWN


class TargetState(Enum):
    """A task's target in one target group, as the scheduler knows it."""

    INITIAL = "initial"
    HEALTHY = "healthy"
    UNHEALTHY = "unhealthy"
    DRAINING = "draining"
    DRAINED = "drained"


class Verdict(Enum):
    """What the scheduler may conclude about a running task now."""

    WAITING = "waiting"  # not yet known healthy; nothing to act on yet
    HEALTHY = "healthy"  # counts toward minimumHealthyPercent and rollout progress
    UNHEALTHY = "unhealthy"  # failed its checks outside the grace period: replace it


@dataclass(frozen=True)
class HealthInputs:
    """Everything the verdict depends on, gathered by the scheduler for one task."""

    seconds_running: float
    container_status: HealthStatus
    has_container_checks: bool
    target_states: tuple[TargetState, ...]
    has_load_balancer: bool
    grace_period: float  # scaled seconds
    no_check_ready_after: float  # scaled seconds


def verdict(inputs: HealthInputs) -> Verdict:
    """AWS's rule: all configured signals must be healthy; none configured -> time-based."""
    failing = inputs.container_status is HealthStatus.UNHEALTHY or (
        TargetState.UNHEALTHY in inputs.target_states
    )
    if failing:
        in_grace = inputs.seconds_running < inputs.grace_period
        return Verdict.WAITING if in_grace else Verdict.UNHEALTHY
    if not inputs.has_container_checks and not inputs.has_load_balancer:
        ready = inputs.seconds_running >= inputs.no_check_ready_after
        return Verdict.HEALTHY if ready else Verdict.WAITING
    container_ok = (
        not inputs.has_container_checks or inputs.container_status is HealthStatus.HEALTHY
    )
    targets_ok = not inputs.has_load_balancer or (
        bool(inputs.target_states) and all(s is TargetState.HEALTHY for s in inputs.target_states)
    )
    return Verdict.HEALTHY if container_ok and targets_ok else Verdict.WAITING
