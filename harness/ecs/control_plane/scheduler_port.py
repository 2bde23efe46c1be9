"""What the control plane needs from the scheduler: one handle per service.

The scheduler package (``harness.ecs.scheduler``, written in parallel) owns a
service's deployments, tasks and events once the service exists. The control plane
only (1) builds the :class:`~harness.ecs.domain.Service` from a CreateService request,
(2) forwards UpdateService/DeleteService/StopTask as intentions, and (3) reads
``service`` and ``tasks`` back for Describe*/List*. This Protocol is that whole
contract, so the glue stays thin and either side can change behind it.

If the real ``ServiceScheduler`` spells these differently, an adapter of a few lines
satisfies this Protocol; :class:`~harness.ecs.control_plane.instant_scheduler.InstantScheduler`
is a reference implementation that converges at once (API tests, running the API alone).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from harness.ecs.domain import DeploymentConfiguration, Service, Task, TaskDefinitionSpec


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


#: Builds the handle for a new service. Gets the Service the control plane built from the
#: request and the first revision's spec; the handle creates the first deployment.
SchedulerFactory = Callable[[Service, TaskDefinitionSpec], SchedulerHandle]
