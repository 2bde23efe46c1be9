"""A scheduler stand-in that reaches the steady state at once.

Why it exists: API tests (and ``python -m harness.ecs.api --instant``) need services
that behave plausibly - deployments that complete, tasks that run - without the real
scheduler, a clock or Docker. It satisfies :class:`SchedulerHandle` and nothing more: no
rolling update, no health, no circuit breaker. Never used when the real scheduler runs.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from harness.ecs.control_plane import arns
from harness.ecs.control_plane.errors import ConflictException, InvalidParameterException
from harness.ecs.domain import (
    Container,
    Deployment,
    DeploymentConfiguration,
    DeploymentStatus,
    HealthStatus,
    HookAction,
    RolloutState,
    Service,
    ServiceDeploymentStatus,
    ServiceEvent,
    ServiceStatus,
    StopCode,
    StopType,
    Task,
    TaskDefinitionSpec,
    TaskStatus,
)
from harness.ecs.scheduler.actions import Action
from harness.ecs.scheduler.observations import Observation

_deployment_ids = itertools.count(1_000_000_000_000)


class InstantScheduler:
    """Every change converges before the call returns."""

    def __init__(
        self, service: Service, spec: TaskDefinitionSpec, clock: Callable[[], float] = time.time
    ) -> None:
        self._service = service
        self._clock = clock
        self._tasks: list[Task] = []
        self._specs: dict[str, TaskDefinitionSpec] = {spec.arn: spec}
        self._new_deployment(spec)

    @classmethod
    def factory(
        cls, clock: Callable[[], float] = time.time
    ) -> Callable[[Service, TaskDefinitionSpec], InstantScheduler]:
        return lambda service, spec: cls(service, spec, clock)

    @property
    def service(self) -> Service:
        return self._service

    @property
    def tasks(self) -> Sequence[Task]:
        return list(self._tasks)

    def update(
        self,
        *,
        task_definition: TaskDefinitionSpec | None = None,
        desired_count: int | None = None,
        force_new_deployment: bool = False,
        deployment_configuration: DeploymentConfiguration | None = None,
        health_check_grace_period_seconds: float | None = None,
    ) -> None:
        svc = self._service
        if deployment_configuration is not None:
            svc.deployment_configuration = deployment_configuration
        if health_check_grace_period_seconds is not None:
            svc.health_check_grace_period_seconds = health_check_grace_period_seconds
        if desired_count is not None:
            svc.desired_count = desired_count
            svc.primary.desired_count = desired_count
        if task_definition is not None and task_definition.arn != svc.task_definition:
            self._specs[task_definition.arn] = task_definition
            self._new_deployment(task_definition)
        elif force_new_deployment:
            self._new_deployment(self._specs[svc.task_definition])
        else:
            self._converge()

    def delete(self) -> None:
        self._service.status = ServiceStatus.DRAINING
        self._service.desired_count = 0
        self._service.primary.desired_count = 0
        self._converge()
        self._service.status = ServiceStatus.INACTIVE

    def stop_task(self, task_arn: str, reason: str) -> None:
        for task in self._tasks:
            if task.task_arn == task_arn and task.last_status != TaskStatus.STOPPED:
                self._stop(task, reason, StopCode.USER_INITIATED)
        self._converge()

    def stop_deployment(self, stop_type: StopType) -> None:
        """Every deployment here completed when it was made: there is never one to stop."""
        raise ConflictException(
            f"service {self._service.service_name} has no deployment in progress to stop "
            f"(deployment {self._service.primary.id} is SUCCESSFUL)"
        )

    def continue_deployment(self, hook_id: str, action: HookAction) -> None:
        """No hook ever pauses here."""
        raise InvalidParameterException(
            f"service {self._service.service_name} has no lifecycle hook {hook_id!r}"
        )

    def step(self, observations: Sequence[Observation] = ()) -> list[Action]:
        """Nothing to do: every change converged when it was made, nothing runs."""
        return []

    def next_wakeup(self) -> float | None:
        return None

    def adopt(
        self, task_arn: str, deployment_id: str, started_at: float, container_ids: Mapping[str, str]
    ) -> None:
        """The task joins its deployment RUNNING, in place of one this scheduler would
        start (with none of the deployment's, it joins the PRIMARY)."""
        deployment = next(
            (d for d in self._service.deployments if d.id == deployment_id), self._service.primary
        )
        task = self._start(deployment, started_at)
        task.task_arn = task_arn
        self._tasks.remove(task)
        self._tasks.insert(0, task)  # kept first when the service has one task too many
        for container in task.containers:
            container.runtime_id = container_ids.get(container.name)
        self._converge()

    def restore_completed(self, deployment_id: str) -> bool:
        """Every deployment here completed when it was made: only say whether it is ours."""
        return self._service.primary.id == deployment_id

    def restore_rolled_back(self, failed_id: str, target_id: str) -> bool:
        """Nothing here fails, so nothing rolls back: only say whether it is ours."""
        return self._service.primary.id == failed_id

    # ------------------------------------------------------------------------------

    def _new_deployment(self, spec: TaskDefinitionSpec) -> None:
        now = self._clock()
        svc = self._service
        for old in svc.deployments:
            old.status = DeploymentStatus.INACTIVE
        deployment = Deployment(
            id=f"ecs-svc/{next(_deployment_ids)}",
            status=DeploymentStatus.PRIMARY,
            task_definition=spec.arn,
            desired_count=svc.desired_count,
            created_at=now,
            updated_at=now,
        )
        deployment.lifecycle.source_deployment_ids = tuple(d.id for d in svc.deployments)
        deployment.lifecycle.status = ServiceDeploymentStatus.SUCCESSFUL
        deployment.lifecycle.started_at = deployment.lifecycle.finished_at = now
        svc.task_definition = spec.arn
        svc.deployments.insert(0, deployment)
        for task in self._tasks:
            if task.deployment_id != deployment.id and task.last_status != TaskStatus.STOPPED:
                self._stop(task, "Deployment replaced", StopCode.SERVICE_SCHEDULER_INITIATED)
        self._converge()
        svc.deployments = [d for d in svc.deployments if d.status != DeploymentStatus.INACTIVE]

    def _converge(self) -> None:
        svc, now = self._service, self._clock()
        deployment = svc.primary
        running = [
            t
            for t in self._tasks
            if t.deployment_id == deployment.id and t.last_status == TaskStatus.RUNNING
        ]
        for task in running[deployment.desired_count :]:
            self._stop(
                task,
                f"Scaling activity initiated by (deployment {deployment.id})",
                StopCode.SERVICE_SCHEDULER_INITIATED,
            )
        started = [
            self._start(deployment, now) for _ in range(deployment.desired_count - len(running))
        ]
        if started:
            self._event(
                f"(service {svc.service_name}) has started {len(started)} tasks: "
                + " ".join(f"(task {t.task_id})" for t in started)
                + "."
            )
        deployment.running_count = deployment.desired_count
        deployment.pending_count = 0
        deployment.updated_at = now
        if deployment.rollout_state != RolloutState.COMPLETED:
            deployment.rollout_state = RolloutState.COMPLETED
            deployment.rollout_state_reason = "ECS deployment " + deployment.id + " completed."
            self._event(
                f"(service {svc.service_name}) (deployment {deployment.id}) deployment completed."
            )
        svc.running_count, svc.pending_count = deployment.desired_count, 0
        self._event(f"(service {svc.service_name}) has reached a steady state.")

    def _start(self, deployment: Deployment, now: float) -> Task:
        cluster = self._service.cluster_arn.rsplit("/", 1)[-1]
        spec = self._specs[deployment.task_definition]
        task = Task(
            task_arn=arns.task_arn(cluster, arns.new_task_id()),
            task_definition_arn=deployment.task_definition,
            cluster_arn=self._service.cluster_arn,
            deployment_id=deployment.id,
            group=f"service:{self._service.service_name}",
            created_at=now,
            last_status=TaskStatus.RUNNING,
            health_status=HealthStatus.UNKNOWN,
            started_at=now,
            containers=[
                Container(name=c.name, image=c.image, last_status=TaskStatus.RUNNING)
                for c in spec.containers
            ],
        )
        self._tasks.append(task)
        return task

    def _stop(self, task: Task, reason: str, code: StopCode) -> None:
        now = self._clock()
        task.desired_status = task.last_status = TaskStatus.STOPPED
        task.stopping_at = task.stopped_at = now
        task.stopped_reason, task.stop_code = reason, code
        task.containers = [
            replace(c, last_status=TaskStatus.STOPPED, exit_code=0) for c in task.containers
        ]

    def _event(self, message: str) -> None:
        events = self._service.events
        events.insert(
            0, ServiceEvent(id=str(uuid.uuid4()), created_at=self._clock(), message=message)
        )
        del events[100:]
