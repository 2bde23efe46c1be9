"""What the runtime and the load balancer tell the scheduler.

Each is a fact that has already happened; ``ServiceScheduler.step`` applies them in order
and reacts at once. Observations about unknown tasks are ignored (a late report about a
task of a deleted service is not an error).
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.ecs.domain import HookStatus


@dataclass(frozen=True)
class TaskRunning:
    """Every essential container of the task started (``lastStatus`` RUNNING)."""

    task_arn: str
    #: container name -> docker container id (``containers[].runtimeId``)
    runtime_ids: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class TaskStopped:
    """The task ended: it failed to start, an essential container exited, or a stop finished.

    ``exit_code`` is the essential container's exit code when there is one; ``reason``
    becomes ``stoppedReason`` unless the scheduler asked for the stop itself.
    """

    task_arn: str
    exit_code: int | None = None
    reason: str = ""
    container_name: str | None = None


@dataclass(frozen=True)
class ContainerHealthCheckResult:
    """One run of a container's health check command: passed or not (timeouts fail)."""

    task_arn: str
    container_name: str
    passed: bool


@dataclass(frozen=True)
class TargetHealthChanged:
    """The target group's verdict on the task changed (after its own thresholds)."""

    task_arn: str
    target_group_arn: str
    healthy: bool


@dataclass(frozen=True)
class TargetDrained:
    """Deregistration finished: the target is out of the group and may be stopped."""

    task_arn: str
    target_group_arn: str


@dataclass(frozen=True)
class StopRequested:
    """A user called ``StopTask`` on one of the service's tasks; the service replaces it."""

    task_arn: str
    reason: str = "Task stopped by user"


@dataclass(frozen=True)
class HookAnswered:
    """A Lambda hook answered (``hookStatus``); ``callback_delay`` in AWS seconds, for
    IN_PROGRESS (when to call it again). A hook that raised or timed out answers FAILED."""

    hook_id: str
    status: HookStatus
    callback_delay: float | None = None
    reason: str = ""


@dataclass(frozen=True)
class AlarmsInAlarm:
    """Of the service's deployment alarms, those in state ALARM now (maybe none).

    The emulator's loop reports this for services whose ``deploymentConfiguration.alarms``
    is enabled, each time the CloudWatch alarms are evaluated.
    """

    service_name: str
    alarm_names: tuple[str, ...]


Observation = (
    TaskRunning
    | TaskStopped
    | ContainerHealthCheckResult
    | TargetHealthChanged
    | TargetDrained
    | StopRequested
    | HookAnswered
    | AlarmsInAlarm
)
