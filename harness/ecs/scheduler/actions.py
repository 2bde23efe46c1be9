"""What the scheduler asks the runtime and the load balancer to do.

The scheduler decides, the runtime acts: ``ServiceScheduler.step`` returns these, and a
driver hands each one to the matching port (see ``ports.dispatch``). Durations carried
here are already multiplied by the time scale, so the runtime can use them as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.ecs.domain import LifecycleHook, LifecycleStage, Task, TaskDefinitionSpec


@dataclass(frozen=True)
class HealthCheckSchedule:
    """How often the runtime runs one container's health check command (scaled seconds).

    The runtime runs ``command`` every ``interval`` seconds once the task is RUNNING,
    counts a run longer than ``timeout`` as a failure, and reports every result as a
    ``ContainerHealthCheckResult``; retries, startPeriod and the grace period are the
    scheduler's business.
    """

    container_name: str
    command: tuple[str, ...]
    interval: float
    timeout: float


@dataclass(frozen=True)
class StartTask:
    """Create and start the task's containers; report ``TaskRunning`` or ``TaskStopped``."""

    task: Task
    task_definition: TaskDefinitionSpec
    health_checks: tuple[HealthCheckSchedule, ...] = ()


@dataclass(frozen=True)
class AdoptTask:
    """Watch the already running containers of a task a previous emulator started.

    As after ``StartTask``: report ``TaskStopped`` when an essential container exits and
    run the health checks; nothing is started (the task is RUNNING already).
    """

    task: Task
    task_definition: TaskDefinitionSpec
    #: container name -> docker container id
    container_ids: dict[str, str]
    health_checks: tuple[HealthCheckSchedule, ...] = ()


@dataclass(frozen=True)
class RegisterTarget:
    """Register the task's ``container_name:container_port`` in the target group.

    The driver resolves the task's address from the runtime; the balancer then reports
    ``TargetHealthChanged`` as its health checks decide.
    """

    task_arn: str
    target_group_arn: str
    container_name: str
    container_port: int


@dataclass(frozen=True)
class DeregisterTarget:
    """Begin draining: no new requests to the target; report ``TargetDrained`` when the
    target group's deregistration delay has passed (or in-flight requests are done)."""

    task_arn: str
    target_group_arn: str


@dataclass(frozen=True)
class StopTask:
    """Stop the task: SIGTERM to each container, SIGKILL after ``stop_timeout`` (scaled)."""

    task_arn: str
    reason: str
    stop_timeout: float


@dataclass(frozen=True)
class ShiftTraffic:
    """Set a listener rule's forward weights: ``{target group ARN: weight}``.

    BLUE_GREEN, LINEAR and CANARY move production (and test) traffic this way; the
    control plane applies it with ``Elbv2Registry.set_forward_weights``, the same path
    as ``ModifyRule``, and HAProxy follows live.
    """

    rule_arn: str
    weights: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class InvokeHook:
    """Run a Lambda lifecycle hook with AWS's payload; report ``HookAnswered``.

    PAUSE hooks need no action: they wait for ``ContinueServiceDeployment``.
    """

    hook_id: str
    deployment_id: str
    stage: LifecycleStage
    hook: LifecycleHook
    #: The event AWS sends the function (``executionDetails`` and ``hookId`` ...).
    payload: dict[str, object]


Action = (
    StartTask | AdoptTask | RegisterTarget | DeregisterTarget | StopTask | ShiftTraffic | InvokeHook
)
