"""The ECS emulator's state: services, deployments, tasks and service events.

These dataclasses mean what AWS's fields of the same name mean (``DescribeServices``,
``DescribeTasks``); only the spelling differs (snake_case here, camelCase on the wire).

Who does what with them:

* The control plane (``harness.ecs.control_plane``) builds a :class:`Service` and a
  :class:`TaskDefinitionSpec` from a CreateService request and hands both to its
  scheduler factory; from then on the service's
  :class:`~harness.ecs.control_plane.scheduler_handle.SchedulerHandle` owns its
  deployments, tasks and events. UpdateService, StopTask and DeleteService reach the
  handle as intentions; nobody edits deployments or tasks directly, so counts, rollout
  state and events stay consistent.
* The API layer reads ``handle.service`` (``deployments`` newest first, ``events`` newest
  first, at most 100) and ``handle.tasks`` for Describe*/List* and maps each field to its
  camelCase name. Enum values are already AWS's strings.
* Timestamps are float seconds since the epoch from the scheduler's injected clock.
* Durations here are AWS's own numbers (seconds, unscaled): whatever acts on them
  converts them with the emulator's :class:`~harness.time_scale.TimeScale`, so describe
  output shows what the user set.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class DeploymentStatus(StrEnum):
    """``deployments[].status``: the newest is PRIMARY, older ones still holding tasks ACTIVE."""

    PRIMARY = "PRIMARY"
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


class RolloutState(StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class TaskStatus(StrEnum):
    """A task's ``lastStatus`` / ``desiredStatus`` (the lifecycle AWS documents for Fargate)."""

    PROVISIONING = "PROVISIONING"
    PENDING = "PENDING"
    ACTIVATING = "ACTIVATING"
    RUNNING = "RUNNING"
    DEACTIVATING = "DEACTIVATING"
    STOPPING = "STOPPING"
    DEPROVISIONING = "DEPROVISIONING"
    STOPPED = "STOPPED"


class HealthStatus(StrEnum):
    """Task / container ``healthStatus``; UNKNOWN when no container health check is defined."""

    HEALTHY = "HEALTHY"
    UNHEALTHY = "UNHEALTHY"
    UNKNOWN = "UNKNOWN"


class StopCode(StrEnum):
    """``Task.stopCode`` values the emulator can produce."""

    TASK_FAILED_TO_START = "TaskFailedToStart"
    ESSENTIAL_CONTAINER_EXITED = "EssentialContainerExited"
    USER_INITIATED = "UserInitiated"
    SERVICE_SCHEDULER_INITIATED = "ServiceSchedulerInitiated"


class ServiceStatus(StrEnum):
    ACTIVE = "ACTIVE"
    DRAINING = "DRAINING"
    INACTIVE = "INACTIVE"


# --------------------------------------------------------------------------- task definition


@dataclass(frozen=True)
class ContainerHealthCheck:
    """``containerDefinitions[].healthCheck``; AWS defaults and units (seconds)."""

    command: tuple[str, ...]
    interval: float = 30.0
    timeout: float = 5.0
    retries: int = 3
    start_period: float = 0.0

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> ContainerHealthCheck:
        return cls(
            command=tuple(doc.get("command", ())),
            interval=float(doc.get("interval", 30)),
            timeout=float(doc.get("timeout", 5)),
            retries=int(doc.get("retries", 3)),
            start_period=float(doc.get("startPeriod", 0)),
        )


@dataclass(frozen=True)
class ContainerSpec:
    """What the scheduler needs from one container definition."""

    name: str
    image: str = ""
    essential: bool = True
    health_check: ContainerHealthCheck | None = None
    #: Seconds between SIGTERM and SIGKILL (AWS default 30, max 120 on Fargate).
    stop_timeout: float = 30.0

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> ContainerSpec:
        hc = doc.get("healthCheck")
        return cls(
            name=doc["name"],
            image=doc.get("image", ""),
            essential=bool(doc.get("essential", True)),
            health_check=ContainerHealthCheck.from_document(hc) if hc else None,
            stop_timeout=float(doc.get("stopTimeout", 30)),
        )


@dataclass(frozen=True)
class TaskDefinitionSpec:
    """The essentials of a registered task definition revision (``family:revision``).

    The control plane keeps the full document; the scheduler only needs the ARN, the
    containers' health checks and stop timeouts. The full document travels to the runtime
    inside ``StartTask`` via ``document``.
    """

    arn: str
    containers: tuple[ContainerSpec, ...]
    document: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def from_document(cls, arn: str, document: dict[str, Any]) -> TaskDefinitionSpec:
        containers = tuple(
            ContainerSpec.from_document(c) for c in document.get("containerDefinitions", [])
        )
        return cls(arn=arn, containers=containers, document=document)

    @property
    def family_revision(self) -> str:
        """``family:revision``, the short form AWS accepts wherever an ARN is accepted."""
        return self.arn.rsplit("/", 1)[-1]

    @property
    def stop_timeout(self) -> float:
        """The longest container stop timeout: how long a stop may take before SIGKILL."""
        return max((c.stop_timeout for c in self.containers), default=30.0)

    @property
    def health_checked(self) -> tuple[ContainerSpec, ...]:
        """Essential containers with a health check: all must pass for the task to be HEALTHY."""
        return tuple(c for c in self.containers if c.essential and c.health_check is not None)


# --------------------------------------------------------------------------- service


class DeploymentStrategy(StrEnum):
    """``deploymentConfiguration.strategy``: how a new revision replaces the old one."""

    ROLLING = "ROLLING"
    BLUE_GREEN = "BLUE_GREEN"
    LINEAR = "LINEAR"
    CANARY = "CANARY"


class LifecycleStage(StrEnum):
    """A deployment's ``lifecycleStage``, in the order AWS runs them.

    Hooks may be attached to the stages of ``DeploymentLifecycleHookStage`` (AWS allows
    PRE_PRODUCTION_TRAFFIC_SHIFT for hooks only; SCALE_UP, BAKE_TIME and CLEAN_UP are
    stages a deployment reports but no hook runs at). For LINEAR and CANARY the
    production-shift stages repeat at each traffic step.
    """

    RECONCILE_SERVICE = "RECONCILE_SERVICE"
    PRE_SCALE_UP = "PRE_SCALE_UP"
    SCALE_UP = "SCALE_UP"
    POST_SCALE_UP = "POST_SCALE_UP"
    TEST_TRAFFIC_SHIFT = "TEST_TRAFFIC_SHIFT"
    POST_TEST_TRAFFIC_SHIFT = "POST_TEST_TRAFFIC_SHIFT"
    PRE_PRODUCTION_TRAFFIC_SHIFT = "PRE_PRODUCTION_TRAFFIC_SHIFT"
    PRODUCTION_TRAFFIC_SHIFT = "PRODUCTION_TRAFFIC_SHIFT"
    POST_PRODUCTION_TRAFFIC_SHIFT = "POST_PRODUCTION_TRAFFIC_SHIFT"
    BAKE_TIME = "BAKE_TIME"
    CLEAN_UP = "CLEAN_UP"


class HookTargetType(StrEnum):
    """``lifecycleHooks[].targetType``: a Lambda function (run locally here) or a pause."""

    AWS_LAMBDA = "AWS_LAMBDA"
    PAUSE = "PAUSE"


class HookAction(StrEnum):
    """What ends a hook: ``ContinueServiceDeployment``'s action, a hook timeout's action."""

    CONTINUE = "CONTINUE"
    ROLLBACK = "ROLLBACK"


class HookStatus(StrEnum):
    """A Lambda hook's answer (``hookStatus``), and a hook's ``status`` in the details.

    A Lambda hook answers one of the first three; ``lifecycleHookDetails[].status`` also
    shows AWAITING_ACTION (a PAUSE hook waiting for ContinueServiceDeployment) and
    TIMED_OUT (``timeoutConfiguration`` ran out; its action was taken).
    """

    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    IN_PROGRESS = "IN_PROGRESS"
    AWAITING_ACTION = "AWAITING_ACTION"
    TIMED_OUT = "TIMED_OUT"


class ServiceDeploymentStatus(StrEnum):
    """``ServiceDeployment.status`` (``DescribeServiceDeployments``)."""

    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    SUCCESSFUL = "SUCCESSFUL"
    STOP_REQUESTED = "STOP_REQUESTED"
    STOPPED = "STOPPED"
    ROLLBACK_REQUESTED = "ROLLBACK_REQUESTED"
    ROLLBACK_IN_PROGRESS = "ROLLBACK_IN_PROGRESS"
    ROLLBACK_SUCCESSFUL = "ROLLBACK_SUCCESSFUL"
    ROLLBACK_FAILED = "ROLLBACK_FAILED"


class StopType(StrEnum):
    """``StopServiceDeployment``'s ``stopType``."""

    ABORT = "ABORT"
    ROLLBACK = "ROLLBACK"


@dataclass(frozen=True)
class LinearConfiguration:
    """``deploymentConfiguration.linearConfiguration``: shift ``step_percent`` per step."""

    step_percent: float = 10.0
    step_bake_time_in_minutes: int = 6


@dataclass(frozen=True)
class CanaryConfiguration:
    """``deploymentConfiguration.canaryConfiguration``: one canary step, then the rest."""

    canary_percent: float = 5.0
    canary_bake_time_in_minutes: int = 10


@dataclass(frozen=True)
class DeploymentAlarms:
    """``deploymentConfiguration.alarms``: CloudWatch alarms that fail the deployment."""

    alarm_names: tuple[str, ...] = ()
    enable: bool = False
    rollback: bool = False


@dataclass(frozen=True)
class LifecycleHook:
    """``deploymentConfiguration.lifecycleHooks[]``.

    A Lambda hook's ``hook_target_arn`` names a function that runs locally here (a
    callable or command registered with the emulator); a PAUSE hook waits for
    ``ContinueServiceDeployment``. ``timeout_in_minutes``/``timeout_action`` come from
    ``timeoutConfiguration``; None where the request left them out (AWS's defaults apply).
    """

    target_type: HookTargetType
    lifecycle_stages: tuple[LifecycleStage, ...]
    hook_target_arn: str = ""
    role_arn: str = ""
    hook_details: Any = None
    timeout_in_minutes: int | None = None
    timeout_action: HookAction | None = None


@dataclass(frozen=True)
class DeploymentCircuitBreaker:
    enable: bool = False
    rollback: bool = False


@dataclass(frozen=True)
class DeploymentConfiguration:
    """``deploymentConfiguration`` of a service (deployment controller ECS).

    ``strategy`` picks the scheduler's reconciler; ``bake_time_in_minutes``, the linear
    and canary settings and ``lifecycle_hooks`` apply to BLUE_GREEN, LINEAR and CANARY;
    ``alarms`` to every strategy. Durations are AWS's (minutes), unscaled.
    """

    maximum_percent: int = 200
    minimum_healthy_percent: int = 100
    deployment_circuit_breaker: DeploymentCircuitBreaker = field(
        default_factory=DeploymentCircuitBreaker
    )
    strategy: DeploymentStrategy = DeploymentStrategy.ROLLING
    bake_time_in_minutes: int | None = None
    linear_configuration: LinearConfiguration | None = None
    canary_configuration: CanaryConfiguration | None = None
    alarms: DeploymentAlarms = field(default_factory=DeploymentAlarms)
    lifecycle_hooks: tuple[LifecycleHook, ...] = ()

    def max_tasks(self, desired_count: int) -> int:
        """Upper bound on RUNNING + PENDING tasks: maximumPercent of desired, rounded DOWN."""
        return math.floor(self.maximum_percent * desired_count / 100)

    def min_healthy_tasks(self, desired_count: int) -> int:
        """Lower bound on RUNNING healthy tasks: minimumHealthyPercent of desired, rounded UP."""
        return math.ceil(self.minimum_healthy_percent * desired_count / 100)


@dataclass(frozen=True)
class ServiceLoadBalancer:
    """``loadBalancers[]`` of a service: which container port to register in which group.

    Not the ELBv2 load balancer (that is ``harness.ecs.control_plane.elbv2.LoadBalancer``).
    """

    target_group_arn: str
    container_name: str
    container_port: int
    advanced_configuration: AdvancedConfiguration | None = None


@dataclass(frozen=True)
class AdvancedConfiguration:
    """``loadBalancers[].advancedConfiguration`` of a BLUE_GREEN/LINEAR/CANARY service.

    The new revision's tasks go into the alternate target group (the blue one's become
    the alternate on the next deployment); traffic shifts by the forward weights of the
    production (and test) listener rule, through ``Elbv2Registry.set_forward_weights``.
    """

    alternate_target_group_arn: str
    production_listener_rule: str
    test_listener_rule: str | None = None
    role_arn: str = ""


@dataclass
class Deployment:
    """``deployments[]`` entry. Counts are kept current by the scheduler on every step."""

    id: str
    status: DeploymentStatus
    task_definition: str
    desired_count: int
    created_at: float
    updated_at: float
    pending_count: int = 0
    running_count: int = 0
    failed_tasks: int = 0
    rollout_state: RolloutState = RolloutState.IN_PROGRESS
    rollout_state_reason: str = ""
    launch_type: str = "FARGATE"
    lifecycle: DeploymentLifecycle = field(default_factory=lambda: DeploymentLifecycle())


@dataclass
class HookRun:
    """One run of a lifecycle hook (``lifecycleHookDetails[]`` of a service deployment)."""

    hook_id: str
    hook: LifecycleHook
    stage: LifecycleStage
    status: HookStatus
    started_at: float
    expires_at: float | None = None
    #: When a Lambda hook that answered IN_PROGRESS is to be called again (epoch s).
    call_again_at: float | None = None
    #: Why it ended as it did (a Lambda's reason, the action a PAUSE hook was given ...).
    status_reason: str = ""
    #: Run again while the deployment rolls back (hooks at the traffic-shift stages).
    on_rollback: bool = False


@dataclass
class DeploymentLifecycle:
    """What ``DescribeServiceDeployments`` shows of a deployment beyond ``deployments[]``.

    The scheduler's reconciler of the service's strategy keeps it current; the API
    reads it. ROLLING deployments have it too (status, stage, alarms, rollback).
    """

    status: ServiceDeploymentStatus = ServiceDeploymentStatus.PENDING
    status_reason: str = ""
    stage: LifecycleStage | None = None
    started_at: float | None = None
    finished_at: float | None = None
    stopped_at: float | None = None
    #: The deployment (``Deployment.id``) each task of the source revisions belongs to.
    source_deployment_ids: tuple[str, ...] = ()
    #: Percent of production / test traffic requested for this (the target) revision.
    production_traffic_weight: float = 0.0
    test_traffic_weight: float = 0.0
    hooks: list[HookRun] = field(default_factory=list)
    triggered_alarm_names: tuple[str, ...] = ()
    rollback_reason: str = ""
    rollback_started_at: float | None = None


@dataclass
class ServiceEvent:
    """``events[]`` entry of a service, exactly as ``DescribeServices`` returns it."""

    id: str
    created_at: float
    message: str


@dataclass
class Service:
    """A service as ``DescribeServices`` shows it.

    ``deployments`` is newest first (the PRIMARY first); ``events`` newest first, 100 kept.
    """

    service_name: str
    service_arn: str
    cluster_arn: str
    task_definition: str
    desired_count: int
    deployment_configuration: DeploymentConfiguration = field(
        default_factory=DeploymentConfiguration
    )
    load_balancers: tuple[ServiceLoadBalancer, ...] = ()
    health_check_grace_period_seconds: float = 0.0
    status: ServiceStatus = ServiceStatus.ACTIVE
    running_count: int = 0
    pending_count: int = 0
    created_at: float = 0.0
    launch_type: str = "FARGATE"
    deployments: list[Deployment] = field(default_factory=list)
    events: list[ServiceEvent] = field(default_factory=list)

    @property
    def primary(self) -> Deployment:
        return next(d for d in self.deployments if d.status is DeploymentStatus.PRIMARY)


# --------------------------------------------------------------------------- task


@dataclass
class Container:
    """``tasks[].containers[]``: a container's observed state inside a task."""

    name: str
    image: str = ""
    last_status: TaskStatus = TaskStatus.PENDING
    exit_code: int | None = None
    reason: str | None = None
    health_status: HealthStatus = HealthStatus.UNKNOWN
    runtime_id: str | None = None


@dataclass
class Task:
    """A task as ``DescribeTasks`` shows it; ``deployment_id`` ties it to its deployment.

    ``started_by`` is the deployment id, as AWS sets it for service tasks, and ``group``
    is ``service:NAME``.
    """

    task_arn: str
    task_definition_arn: str
    cluster_arn: str
    deployment_id: str
    group: str
    created_at: float
    last_status: TaskStatus = TaskStatus.PROVISIONING
    desired_status: TaskStatus = TaskStatus.RUNNING
    health_status: HealthStatus = HealthStatus.UNKNOWN
    started_at: float | None = None
    stopping_at: float | None = None
    stopped_at: float | None = None
    stopped_reason: str | None = None
    stop_code: StopCode | None = None
    containers: list[Container] = field(default_factory=list)
    launch_type: str = "FARGATE"

    @property
    def task_id(self) -> str:
        return self.task_arn.rsplit("/", 1)[-1]

    @property
    def started_by(self) -> str:
        return self.deployment_id
