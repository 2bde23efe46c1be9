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


@dataclass(frozen=True)
class DeploymentCircuitBreaker:
    enable: bool = False
    rollback: bool = False


@dataclass(frozen=True)
class DeploymentConfiguration:
    """``deploymentConfiguration`` of a service (rolling update, deployment controller ECS)."""

    maximum_percent: int = 200
    minimum_healthy_percent: int = 100
    deployment_circuit_breaker: DeploymentCircuitBreaker = field(
        default_factory=DeploymentCircuitBreaker
    )

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
