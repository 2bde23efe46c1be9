"""The scheduler's private bookkeeping about one task, beside the AWS-shaped ``Task``."""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.ecs.domain import Task, TaskDefinitionSpec, TaskStatus
from harness.ecs.scheduler.health import ContainerHealthTracker, TargetState, Verdict

_STARTING = (TaskStatus.PROVISIONING, TaskStatus.PENDING, TaskStatus.ACTIVATING)


@dataclass
class TaskRecord:
    task: Task
    spec: TaskDefinitionSpec
    container_health: ContainerHealthTracker
    targets: dict[str, TargetState] = field(default_factory=dict)
    #: The last verdict computed; HEALTHY once makes a later death a non-launch failure.
    verdict: Verdict = Verdict.WAITING
    ever_healthy: bool = False
    #: The unhealthy event was emitted (once per task).
    unhealthy_reported: bool = False
    #: Why the scheduler is stopping it because of health (counts for the breaker).
    health_stop: bool = False
    stop_issued: bool = False

    @property
    def arn(self) -> str:
        return self.task.task_arn

    @property
    def live(self) -> bool:
        """Holds a slot under maximumPercent: anything not yet STOPPED."""
        return self.task.last_status is not TaskStatus.STOPPED

    @property
    def active(self) -> bool:
        """Live and meant to keep running (the scheduler has not decided to stop it)."""
        return self.live and self.task.desired_status is TaskStatus.RUNNING

    @property
    def starting(self) -> bool:
        return self.task.last_status in _STARTING

    @property
    def running(self) -> bool:
        return self.task.last_status is TaskStatus.RUNNING

    @property
    def healthy(self) -> bool:
        """Counts toward minimumHealthyPercent: active, RUNNING and judged healthy."""
        return self.active and self.running and self.verdict is Verdict.HEALTHY

    @property
    def unhealthy(self) -> bool:
        return self.active and self.verdict is Verdict.UNHEALTHY

    def registered_targets(self) -> list[str]:
        """Target groups the task is still in (not yet draining)."""
        return [
            tg
            for tg, s in self.targets.items()
            if s not in (TargetState.DRAINING, TargetState.DRAINED)
        ]
