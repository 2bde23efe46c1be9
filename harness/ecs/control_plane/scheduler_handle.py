"""What the control plane and the driver loop need from a service's scheduler.

The scheduler package (``harness.ecs.scheduler``) owns a service's deployments, tasks
and events once the service exists. The control plane (1) builds the
:class:`~harness.ecs.domain.Service` from a CreateService request, (2) forwards
UpdateService/DeleteService/StopTask as intentions, and (3) reads ``service`` and
``tasks`` back for Describe*/List*; the driver loop (4) steps each handle with what the
world reported and asks when it next has work; after a restart (5) the emulator hands
it the tasks the previous run left. This Protocol is that whole contract: nobody
reaches behind a handle.

:class:`~harness.ecs.control_plane.scheduler_adapter.ServiceSchedulerHandle` adapts the
real ``ServiceScheduler``; :class:`~harness.ecs.control_plane.instant_scheduler.InstantScheduler`
is a reference implementation that converges at once (API tests, running the API alone).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from harness.ecs.domain import (
    DeploymentConfiguration,
    HookAction,
    Service,
    StopType,
    Task,
    TaskDefinitionSpec,
)
from harness.ecs.scheduler.actions import Action
from harness.ecs.scheduler.observations import Observation


class SchedulerHandle(Protocol):
    """One service's scheduler, as the control plane drives it."""

    @property
    def service(self) -> Service: ...

    @property
    def tasks(self) -> Sequence[Task]:
        """Every task of the service still known (running, stopping and recently stopped)."""
        ...

    def update(
        self,
        *,
        task_definition: TaskDefinitionSpec | None = None,
        desired_count: int | None = None,
        force_new_deployment: bool = False,
        deployment_configuration: DeploymentConfiguration | None = None,
        health_check_grace_period_seconds: float | None = None,
    ) -> None:
        """Apply an UpdateService. A new task definition or ``force_new_deployment``
        starts a new PRIMARY deployment; the rest change the service in place."""
        ...

    def delete(self) -> None:
        """DeleteService: status DRAINING, desired 0, INACTIVE once no task remains."""
        ...

    def stop_task(self, task_arn: str, reason: str) -> None:
        """StopTask on one of this service's tasks (the scheduler will replace it)."""
        ...

    def stop_deployment(self, stop_type: StopType) -> None:
        """StopServiceDeployment on the service's deployment in progress: ROLLBACK returns
        to the previous revision, ABORT stops where it is. Raises ``ConflictException``
        when no deployment is in progress (a rollback under way just goes on)."""
        ...

    def continue_deployment(self, hook_id: str, action: HookAction) -> None:
        """ContinueServiceDeployment: end the PAUSE hook ``hook_id`` with ``action``.
        Raises ``InvalidParameterException`` unless it names a PAUSE hook of this service
        that is awaiting action."""
        ...

    def step(self, observations: Sequence[Observation] = ()) -> list[Action]:
        """Take what the world reported (tasks it does not own are ignored) and queued
        intentions; return what the runtime and the balancer must do."""
        ...

    def next_wakeup(self) -> float | None:
        """When (epoch seconds) a timer of this service is due, or None: the driver
        sleeps until then unless an observation comes first."""
        ...

    def adopt(
        self, task_arn: str, deployment_id: str, started_at: float, container_ids: Mapping[str, str]
    ) -> None:
        """A task the previous emulator left running joins the service (emulator restart)."""
        ...

    def restore_completed(self, deployment_id: str) -> bool:
        """Journal replay: ``deployment_id``, the PRIMARY, had COMPLETED before a restart;
        False when it is not this service's PRIMARY (another service's line)."""
        ...

    def restore_rolled_back(self, failed_id: str, target_id: str) -> bool:
        """Journal replay: the PRIMARY ``failed_id`` was rolled back to ``target_id``
        before a restart; False when it is not this service's PRIMARY."""
        ...


#: Builds the handle for a new service. Gets the Service the control plane built from the
#: request and the first revision's spec; the handle creates the first deployment.
SchedulerFactory = Callable[[Service, TaskDefinitionSpec], SchedulerHandle]
