"""Starting, registering, draining and stopping one service's tasks, as actions.

Every strategy moves tasks through the same life: PROVISIONING until the runtime reports
it running, RUNNING and registered in each target group of the service, then DEACTIVATING
(deregistered, draining) and STOPPING once the balancer says the target drained. Stopping
drains first so clients in flight are not cut off. The decisions about *which* task to
start or stop belong to the strategy; this module turns them into actions and keeps the
task records true.
"""

from __future__ import annotations

from collections.abc import Mapping

from harness.ecs.domain import (
    Container,
    Deployment,
    StopCode,
    Task,
    TaskDefinitionSpec,
    TaskStatus,
)
from harness.ecs.scheduler.actions import (
    AdoptTask,
    DeregisterTarget,
    HealthCheckSchedule,
    RegisterTarget,
    StartTask,
    StopTask,
)
from harness.ecs.scheduler.batch import StepBatch
from harness.ecs.scheduler.health import ContainerHealthTracker, TargetState
from harness.ecs.scheduler.records import TaskRecord
from harness.ecs.scheduler.service_state import ServiceState
from harness.ecs.scheduler.task_health import failing_target


class TaskLifecycle:
    """The task-level effects one service's scheduler asks for."""

    def __init__(self, state: ServiceState) -> None:
        self._state = state
        #: Adopted tasks whose AdoptTask and target registrations the next step emits.
        self._adopted: list[tuple[TaskRecord, dict[str, str]]] = []

    # ------------------------------------------------------------------ starting

    def launch(self, dep: Deployment, now: float, batch: StepBatch) -> None:
        """Start one new task of ``dep``."""
        state = self._state
        prefix, cluster = state.service.cluster_arn.split(":cluster/", 1)
        record = self.track(dep, f"{prefix}:task/{cluster}/{state.ids.task_id()}", now)
        batch.actions.append(StartTask(record.task, record.spec, self.health_checks(record.spec)))
        batch.started(record.task.task_id)

    def track(self, dep: Deployment, task_arn: str, created_at: float) -> TaskRecord:
        """A new task of ``dep``, PROVISIONING until the runtime reports it running."""
        service = self._state.service
        spec = self._state.specs[dep.task_definition]
        task = Task(
            task_arn=task_arn,
            task_definition_arn=spec.arn,
            cluster_arn=service.cluster_arn,
            deployment_id=dep.id,
            group=f"service:{service.service_name}",
            created_at=created_at,
            containers=[Container(name=c.name, image=c.image) for c in spec.containers],
            launch_type=service.launch_type,
        )
        record = TaskRecord(
            task=task,
            spec=spec,
            container_health=ContainerHealthTracker.for_task_definition(spec),
        )
        self._state.records[task_arn] = record
        return record

    def health_checks(self, spec: TaskDefinitionSpec) -> tuple[HealthCheckSchedule, ...]:
        """What the runtime runs for the task's container health checks (scaled)."""
        scaled = self._state.settings.time.wall
        return tuple(
            HealthCheckSchedule(
                c.name,
                c.health_check.command,
                scaled(c.health_check.interval),
                scaled(c.health_check.timeout),
            )
            for c in spec.health_checked
            if c.health_check is not None
        )

    def register(self, record: TaskRecord, batch: StepBatch) -> None:
        """Register a RUNNING task in every target group of the service (for a blue/green
        deployment, the group its deployment uses: :meth:`ServiceState.target_group_for`)."""
        task = record.task
        for lb in self._state.service.load_balancers:
            tg = self._state.target_group_for(task.deployment_id, lb)
            batch.actions.append(
                RegisterTarget(task.task_arn, tg, lb.container_name, lb.container_port)
            )
            record.targets[tg] = TargetState.INITIAL
            batch.registered(tg, task.task_id)

    # ------------------------------------------------------------------ adoption

    def adopt(
        self,
        task_arn: str,
        deployment_id: str,
        started_at: float,
        container_ids: Mapping[str, str],
    ) -> None:
        """Take back a task a previous emulator left running (``adoption_plan.plan_adoption``).

        ECS keeps tasks running across a control-plane restart, so the task is RUNNING at
        once, keeps its ARN and ``startedAt``, and fills its slot in ``deployment_id``
        (no replacement is started). The next step asks the runtime to watch it
        (:meth:`watch_adopted`) and registers it in the service's target groups again,
        where it starts ``initial`` and turns healthy with the group's checks, as any new
        target.
        """
        state = self._state
        dep = state.deployment(deployment_id)
        if dep is None:
            raise ValueError(f"service {state.service.service_name} has no {deployment_id}")
        record = self.track(dep, task_arn, started_at)
        mark_running(record.task, started_at, container_ids)
        self._adopted.append((record, dict(container_ids)))
        if dep is not state.service.primary:
            # replayed as a fresh ACTIVE deployment with no tasks: it owns this one again
            dep.desired_count += 1
        state.steady = False

    def watch_adopted(self, batch: StepBatch) -> None:
        """Emit the AdoptTask and target registrations of tasks adopted since the last step."""
        adopted, self._adopted = self._adopted, []
        for record, container_ids in adopted:
            if not record.active:
                continue
            task = record.task
            checks = self.health_checks(record.spec)
            batch.actions.append(AdoptTask(task, record.spec, container_ids, checks))
            self.register(record, batch)

    # ------------------------------------------------------------------ stopping

    def begin_stop(
        self, r: TaskRecord, reason: str, code: StopCode, now: float, batch: StepBatch
    ) -> None:
        """Drain first when the task is in a target group; stop when draining is done."""
        task = r.task
        task.desired_status = TaskStatus.STOPPED
        task.stopped_reason = reason
        task.stop_code = code
        task.stopping_at = now
        registered = r.registered_targets()
        if registered and r.running:
            task.last_status = TaskStatus.DEACTIVATING
            for tg in registered:
                batch.actions.append(DeregisterTarget(task.task_arn, tg))
                r.targets[tg] = TargetState.DRAINING
                batch.deregistered(tg, task.task_id)
            batch.draining(task.task_id)
            return
        self.issue_stop(r, batch)

    def stop_unhealthy(self, r: TaskRecord, now: float, batch: StepBatch) -> None:
        """Stop a task its health checks failed, with ECS's reason (the caller counts it
        against the circuit breaker)."""
        tg = failing_target(r)
        reason = (
            f"Task failed ELB health checks in (target-group {tg})"
            if tg is not None
            else "Task failed container health checks"
        )
        r.health_stop = True
        self.begin_stop(r, reason, StopCode.SERVICE_SCHEDULER_INITIATED, now, batch)

    def issue_stop(self, r: TaskRecord, batch: StepBatch) -> None:
        """Ask the runtime to stop the task, with its task definition's stop timeout."""
        r.stop_issued = True
        task = r.task
        task.last_status = TaskStatus.STOPPING
        batch.actions.append(
            StopTask(
                task.task_arn,
                task.stopped_reason or "",
                self._state.settings.time.wall(r.spec.stop_timeout),
            )
        )
        batch.stopped(task.task_id)

    def account_loss(self, record: TaskRecord) -> None:
        """A task of an older deployment went away mid-rollout: the PRIMARY takes its
        place rather than the old revision (unless the PRIMARY failed and is frozen)."""
        state = self._state
        dep = state.deployment(record.task.deployment_id)
        primary = state.service.primary
        if dep is not None and dep is not primary and not state.frozen():
            dep.desired_count = max(0, dep.desired_count - 1)


def mark_running(task: Task, started_at: float, runtime_ids: Mapping[str, str]) -> None:
    """The task and its containers are RUNNING (started, or adopted after a restart)."""
    task.last_status = TaskStatus.RUNNING
    task.started_at = started_at
    for c in task.containers:
        c.last_status = TaskStatus.RUNNING
        c.runtime_id = runtime_ids.get(c.name, c.runtime_id)
