"""Glue from the control plane's :class:`SchedulerHandle` to the real ``ServiceScheduler``.

``ServiceScheduler`` already has ``service``, ``tasks`` and ``update(...)`` as the
handle needs them. It is stepped by the driver loop (never by an API thread: stepping
returns actions someone must dispatch), so the two API intentions that are not plain
updates become work for the next step:

* StopTask -> a ``StopRequested`` observation queued for the next :meth:`step`.
* StopServiceDeployment / ContinueServiceDeployment -> the scheduler's inbox, read by
  the next step; the scheduler's refusals become ``ConflictException`` /
  ``InvalidParameterException``.
* DeleteService -> desired count 0 and status DRAINING now; INACTIVE once the scheduler
  holds no live task (checked after each step), which is when AWS reports it too.

``on_change`` tells the driver a handle has work (wake the loop); the driver then calls
:meth:`ServiceSchedulerHandle.step` while holding ``ControlPlane.lock``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from harness.ecs.control_plane.errors import ConflictException, InvalidParameterException
from harness.ecs.control_plane.scheduler_handle import SchedulerFactory
from harness.ecs.domain import (
    DeploymentConfiguration,
    HookAction,
    Service,
    ServiceStatus,
    StopType,
    Task,
    TaskDefinitionSpec,
)
from harness.ecs.events import EventBus
from harness.ecs.scheduler.actions import Action
from harness.ecs.scheduler.deployment_inbox import NoSuchPausedHook, NothingToStop
from harness.ecs.scheduler.ids import IdSource
from harness.ecs.scheduler.observations import Observation, StopRequested
from harness.ecs.scheduler.ports import Clock
from harness.ecs.scheduler.service_scheduler import ServiceScheduler
from harness.ecs.scheduler.settings import SchedulerSettings


class ServiceSchedulerHandle:
    """A :class:`SchedulerHandle` over one :class:`ServiceScheduler`."""

    def __init__(
        self,
        scheduler: ServiceScheduler,
        on_change: Callable[[ServiceSchedulerHandle], None] | None = None,
    ) -> None:
        self.scheduler = scheduler
        self._on_change = on_change or (lambda handle: None)
        self._pending: list[Observation] = []

    @property
    def service(self) -> Service:
        return self.scheduler.service

    @property
    def tasks(self) -> Sequence[Task]:
        return self.scheduler.tasks

    def update(
        self,
        *,
        task_definition: TaskDefinitionSpec | None = None,
        desired_count: int | None = None,
        force_new_deployment: bool = False,
        deployment_configuration: DeploymentConfiguration | None = None,
        health_check_grace_period_seconds: float | None = None,
    ) -> None:
        self.scheduler.update(
            task_definition=task_definition,
            desired_count=desired_count,
            force_new_deployment=force_new_deployment,
            deployment_configuration=deployment_configuration,
            health_check_grace_period_seconds=health_check_grace_period_seconds,
        )
        self._on_change(self)

    def delete(self) -> None:
        self.scheduler.update(desired_count=0)
        self.service.status = ServiceStatus.DRAINING
        self._settle_deletion()
        self._on_change(self)

    def stop_task(self, task_arn: str, reason: str) -> None:
        self._pending.append(StopRequested(task_arn=task_arn, reason=reason))
        self._on_change(self)

    def stop_deployment(self, stop_type: StopType) -> None:
        try:
            self.scheduler.stop_deployment(stop_type)
        except NothingToStop as exc:
            raise ConflictException(str(exc)) from exc
        self._on_change(self)

    def continue_deployment(self, hook_id: str, action: HookAction) -> None:
        try:
            self.scheduler.continue_deployment(hook_id, action)
        except NoSuchPausedHook as exc:
            raise InvalidParameterException(str(exc)) from exc
        self._on_change(self)

    def restore_completed(self, deployment_id: str) -> bool:
        return self.scheduler.restore_completed(deployment_id)

    def restore_rolled_back(self, failed_id: str, target_id: str) -> bool:
        return self.scheduler.restore_rolled_back(failed_id, target_id)

    def adopt(
        self, task_arn: str, deployment_id: str, started_at: float, container_ids: Mapping[str, str]
    ) -> None:
        """A task the previous emulator left running joins the service (emulator restart)."""
        self.scheduler.adopt(task_arn, deployment_id, started_at, container_ids)
        self._on_change(self)

    def next_wakeup(self) -> float | None:
        return self.scheduler.next_wakeup()

    def step(self, observations: Iterable[Observation] = ()) -> list[Action]:
        """Step the scheduler with queued intentions first, then ``observations``."""
        queued, self._pending = self._pending, []
        actions = self.scheduler.step([*queued, *observations])
        self._settle_deletion()
        return actions

    def _settle_deletion(self) -> None:
        if self.service.status == ServiceStatus.DRAINING and self.scheduler.occupied_count() == 0:
            self.service.status = ServiceStatus.INACTIVE


def service_scheduler_factory(
    clock: Clock,
    settings: SchedulerSettings | None = None,
    bus: EventBus | None = None,
    on_change: Callable[[ServiceSchedulerHandle], None] | None = None,
    ids: IdSource | None = None,
) -> SchedulerFactory:
    """The factory to pass to ``ControlPlane(clock=clock.now, scheduler_factory=...)``."""

    def build(service: Service, spec: TaskDefinitionSpec) -> ServiceSchedulerHandle:
        scheduler = ServiceScheduler(
            service, spec, clock=clock, settings=settings, bus=bus, ids=ids
        )
        handle = ServiceSchedulerHandle(scheduler, on_change)
        on_change_now = on_change or (lambda h: None)
        on_change_now(handle)  # the first deployment needs a step to start its tasks
        return handle

    return build
