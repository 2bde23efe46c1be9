"""Typed service events: what a user sees in ``DescribeServices`` ``events[]``.

Each event class knows its service and renders AWS's exact wording in ``message``; the
scheduler turns them into :class:`~harness.ecs.domain.ServiceEvent` records (kept on the
service, newest first, 100 kept) and publishes the typed object on an :class:`EventBus`,
so the CLI, the report and the load test can react to *what happened* (``isinstance``)
without parsing messages or reaching into the scheduler.

Wording marked "approximate" is reconstructed from AWS console output, not documented.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceEventBase:
    """Common to every event: the service's name and when the event happened (epoch s)."""

    service_name: str
    at: float

    @property
    def message(self) -> str:
        raise NotImplementedError

    def _svc(self) -> str:
        return f"(service {self.service_name})"


def _ids(task_ids: tuple[str, ...]) -> str:
    return " ".join(f"(task {t})" for t in task_ids)


@dataclass(frozen=True)
class TasksStarted(ServiceEventBase):
    task_ids: tuple[str, ...]

    @property
    def message(self) -> str:
        return f"{self._svc()} has started {len(self.task_ids)} tasks: {_ids(self.task_ids)}."


@dataclass(frozen=True)
class TasksStopped(ServiceEventBase):
    """The scheduler began stopping running tasks (rollout, scale-in, or failed health)."""

    task_ids: tuple[str, ...]

    @property
    def message(self) -> str:
        n = len(self.task_ids)
        return f"{self._svc()} has stopped {n} running tasks: {_ids(self.task_ids)}."


@dataclass(frozen=True)
class TargetsRegistered(ServiceEventBase):
    target_group_arn: str
    task_ids: tuple[str, ...]

    @property
    def message(self) -> str:
        n = len(self.task_ids)
        return f"{self._svc()} registered {n} targets in (target-group {self.target_group_arn})"


@dataclass(frozen=True)
class DrainingBegan(ServiceEventBase):
    task_ids: tuple[str, ...]

    @property
    def message(self) -> str:
        return f"{self._svc()} has begun draining connections on {len(self.task_ids)} tasks."


@dataclass(frozen=True)
class TargetsDeregistered(ServiceEventBase):
    target_group_arn: str
    task_ids: tuple[str, ...]

    @property
    def message(self) -> str:
        n = len(self.task_ids)
        return f"{self._svc()} deregistered {n} targets in (target-group {self.target_group_arn})"


@dataclass(frozen=True)
class DeploymentCompleted(ServiceEventBase):
    deployment_id: str

    @property
    def message(self) -> str:
        return f"{self._svc()} (deployment {self.deployment_id}) deployment completed."


@dataclass(frozen=True)
class SteadyState(ServiceEventBase):
    @property
    def message(self) -> str:
        return f"{self._svc()} has reached a steady state."


@dataclass(frozen=True)
class DeploymentConfigurationStall(ServiceEventBase):
    """Neither a stop nor a start is allowed by minimumHealthyPercent / maximumPercent."""

    @property
    def message(self) -> str:
        return (
            f"{self._svc()} was unable to stop or start tasks during a deployment because of "
            "the service deployment configuration. Update the minimumHealthyPercent or "
            "maximumPercent value and try again."
        )


@dataclass(frozen=True)
class TaskFailedContainerHealthChecks(ServiceEventBase):
    """Approximate wording."""

    task_id: str

    @property
    def message(self) -> str:
        return f"{self._svc()} (task {self.task_id}) failed container health checks."


@dataclass(frozen=True)
class TargetUnhealthy(ServiceEventBase):
    """Approximate wording (AWS names the instance or task, the port and the reason)."""

    task_id: str
    port: int
    target_group_arn: str

    @property
    def message(self) -> str:
        return (
            f"{self._svc()} (task {self.task_id}) (port {self.port}) is unhealthy in "
            f"(target-group {self.target_group_arn}) due to (reason Health checks failed)."
        )


@dataclass(frozen=True)
class DeploymentFailed(ServiceEventBase):
    """The circuit breaker tripped. Approximate wording."""

    deployment_id: str
    reason: str

    @property
    def message(self) -> str:
        return f"{self._svc()} (deployment {self.deployment_id}) deployment failed: {self.reason}"


@dataclass(frozen=True)
class RollingBack(ServiceEventBase):
    """The circuit breaker returned the service to its last COMPLETED deployment.

    Approximate wording.
    """

    failed_deployment_id: str
    rollback_deployment_id: str

    @property
    def message(self) -> str:
        return (
            f"{self._svc()} (deployment {self.failed_deployment_id}) deployment failed: "
            f"rolling back to deployment {self.rollback_deployment_id}."
        )


@dataclass(frozen=True)
class UnableToPlaceTask(ServiceEventBase):
    """No container instance has the CPU or memory a task reserves (``placement``)."""

    container_instance_id: str
    resource: str  # "memory" or "CPU units", as ECS names it

    @property
    def message(self) -> str:
        return (
            f"{self._svc()} was unable to place a task because no container instance met all "
            f"of its requirements. The closest matching (container-instance "
            f"{self.container_instance_id}) has insufficient {self.resource} available. For "
            "more information, see the Troubleshooting section of the Amazon ECS Developer "
            "Guide."
        )


@dataclass(frozen=True)
class LifecycleStageStarted(ServiceEventBase):
    """A BLUE_GREEN/LINEAR/CANARY deployment entered a lifecycle stage (the load-test
    report marks them). Approximate wording: AWS shows stages in the service deployment."""

    deployment_id: str
    stage: str

    @property
    def message(self) -> str:
        return (
            f"{self._svc()} (deployment {self.deployment_id}) entered lifecycle stage {self.stage}."
        )


@dataclass(frozen=True)
class TrafficShifted(ServiceEventBase):
    """A listener rule's forward weights changed (a traffic step, or a rollback's return
    to blue): ``weights`` as (target group ARN, weight). Approximate wording."""

    deployment_id: str
    rule_arn: str
    weights: tuple[tuple[str, int], ...]
    production: bool = True

    @property
    def message(self) -> str:
        kind = "production" if self.production else "test"
        shares = ", ".join(f"{weight}% to (target-group {tg})" for tg, weight in self.weights)
        return (
            f"{self._svc()} (deployment {self.deployment_id}) shifted {kind} traffic of "
            f"(listener-rule {self.rule_arn}): {shares}."
        )


@dataclass(frozen=True)
class TargetGroupRolesSwapped(ServiceEventBase):
    """A BLUE_GREEN/LINEAR/CANARY deployment completed: the groups its tasks run in are
    the production target groups now (``production``, one per load balancer entry), the
    groups they replaced the alternates (:mod:`~harness.ecs.scheduler.target_group_roles`).
    The journal keeps it, so a restart knows where production is. Approximate wording."""

    deployment_id: str
    production: tuple[str, ...]

    @property
    def message(self) -> str:
        groups = ", ".join(f"(target-group {tg})" for tg in self.production)
        return (
            f"{self._svc()} (deployment {self.deployment_id}) made {groups} the production "
            "target group; the previous one is the alternate."
        )


Subscriber = Callable[[ServiceEventBase], None]


class EventBus:
    """Synchronous publish/subscribe for typed service events.

    Subscribers run in the publisher's thread, in subscription order; one that raises
    does not stop the others (a broken report must not break a deployment), and the
    error is kept in ``errors`` for whoever drives the loop to surface.
    """

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self.errors: list[BaseException] = []

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Add a subscriber; returns a function that removes it again."""
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    def publish(self, event: ServiceEventBase) -> None:
        for subscriber in list(self._subscribers):
            try:
                subscriber(event)
            except Exception as exc:  # isolation is the point
                self.errors.append(exc)
