"""One service's rolling-update state machine: observations in, actions out.

``step`` applies what the runtime and balancer observed, then reconciles in a fixed order:

1. judge every running task (health.verdict) and note first-time healthy tasks;
2. replace unhealthy tasks (replace first when maximumPercent leaves room, AWS's
   documented behaviour, so a fleet that is all unhealthy at once -- the case where the
   ALB fails open and still serves -- is not stopped all at once);
3. scale in older deployments as far as minimumHealthyPercent allows;
4. start tasks for the PRIMARY up to its desired count, as far as maximumPercent allows;
5. scale in a PRIMARY above its desired count (not-yet-healthy tasks first, then newest);
6. complete the deployment, report a steady state, or report a configuration stall.

It reacts to each observation at once; the only time-based decisions (a task without
any health check counts healthy 40 s after RUNNING; the grace period ending) are
announced by ``next_wakeup``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping

from harness.ecs import events as ev
from harness.ecs.domain import (
    Container,
    Deployment,
    DeploymentConfiguration,
    DeploymentStatus,
    HealthStatus,
    RolloutState,
    Service,
    ServiceEvent,
    StopCode,
    Task,
    TaskDefinitionSpec,
    TaskStatus,
)
from harness.ecs.scheduler import circuit_breaker
from harness.ecs.scheduler.actions import (
    Action,
    AdoptTask,
    DeregisterTarget,
    HealthCheckSchedule,
    RegisterTarget,
    StartTask,
    StopTask,
)
from harness.ecs.scheduler.batch import StepBatch
from harness.ecs.scheduler.bounds import Bounds
from harness.ecs.scheduler.health import (
    ContainerHealthTracker,
    HealthInputs,
    TargetState,
    Verdict,
    verdict,
)
from harness.ecs.scheduler.ids import IdSource, RandomIds
from harness.ecs.scheduler.observations import (
    ContainerHealthCheckResult,
    Observation,
    StopRequested,
    TargetDrained,
    TargetHealthChanged,
    TaskRunning,
    TaskStopped,
)
from harness.ecs.scheduler.ports import Clock
from harness.ecs.scheduler.records import TaskRecord
from harness.ecs.scheduler.settings import SchedulerSettings

MAX_EVENTS = 100


class ServiceScheduler:
    """Owns one :class:`Service`, its deployments and its tasks.

    Driver loop::

        actions = scheduler.step()                      # after create/update
        dispatch(actions, runtime, balancer)
        while True:
            wait for an observation, or until scheduler.next_wakeup()
            dispatch(scheduler.step([observation] or []), runtime, balancer)

    Not thread-safe: call it from one thread (the driver serialises observations).
    """

    def __init__(
        self,
        service: Service,
        task_definition: TaskDefinitionSpec,
        *,
        clock: Clock,
        settings: SchedulerSettings | None = None,
        bus: ev.EventBus | None = None,
        ids: IdSource | None = None,
    ) -> None:
        self.service = service
        self.settings = settings or SchedulerSettings()
        self.bus = bus or ev.EventBus()
        self._clock = clock
        self._ids = ids or RandomIds()
        self._specs: dict[str, TaskDefinitionSpec] = {}
        self._records: dict[str, TaskRecord] = {}
        self._stall_reported = False
        self._steady = False
        #: Adopted tasks whose AdoptTask and target registrations the next step emits.
        self._adopted: list[tuple[TaskRecord, dict[str, str]]] = []
        now = clock.now()
        if not service.created_at:
            service.created_at = now
        self._new_deployment(task_definition, now)

    # ------------------------------------------------------------------ reading state

    @property
    def tasks(self) -> list[Task]:
        """Every task the service started, oldest first, stopped ones included."""
        return [r.task for r in self._records.values()]

    def task(self, task_arn: str) -> Task:
        return self._records[task_arn].task

    def is_healthy(self, task_arn: str) -> bool:
        """Whether the task counts as RUNNING and healthy toward minimumHealthyPercent."""
        record = self._records.get(task_arn)
        return record is not None and record.healthy

    def healthy_count(self) -> int:
        return sum(1 for r in self._records.values() if r.healthy)

    def occupied_count(self) -> int:
        """Tasks holding a slot under maximumPercent: every task not yet STOPPED."""
        return sum(1 for r in self._records.values() if r.live)

    def bounds(self) -> Bounds:
        return Bounds.of(self.service.deployment_configuration, self.service.desired_count)

    def next_wakeup(self) -> float | None:
        """When a time-based decision is next due (epoch s), None when nothing is timed."""
        times: list[float] = []
        for r in self._records.values():
            if not (r.active and r.running) or r.task.started_at is None:
                continue
            inputs = self._inputs(r, r.task.started_at)
            if r.verdict is not Verdict.WAITING:
                continue
            if not inputs.has_container_checks and not inputs.has_load_balancer:
                times.append(r.task.started_at + inputs.no_check_ready_after)
            elif self._failing(r):
                times.append(r.task.started_at + inputs.grace_period)
        return min(times) if times else None

    # ------------------------------------------------------------------ commands

    def update(
        self,
        *,
        task_definition: TaskDefinitionSpec | None = None,
        desired_count: int | None = None,
        deployment_configuration: DeploymentConfiguration | None = None,
        health_check_grace_period_seconds: float | None = None,
        force_new_deployment: bool = False,
    ) -> None:
        """``UpdateService``: a new task definition or ``forceNewDeployment`` starts a new
        deployment; a desired count alone rescales the PRIMARY. Call ``step`` afterwards."""
        now = self._clock.now()
        svc = self.service
        if deployment_configuration is not None:
            svc.deployment_configuration = deployment_configuration
        if health_check_grace_period_seconds is not None:
            svc.health_check_grace_period_seconds = health_check_grace_period_seconds
        if desired_count is not None:
            if desired_count < 0:
                raise ValueError(f"desired_count must be >= 0, got {desired_count}")
            svc.desired_count = desired_count
            svc.primary.desired_count = desired_count
            svc.primary.updated_at = now
        changed = task_definition is not None and task_definition.arn != svc.primary.task_definition
        if changed or force_new_deployment:
            self._new_deployment(task_definition or self._specs[svc.primary.task_definition], now)
        self._stall_reported = False
        self._steady = False

    def adopt(
        self,
        task_arn: str,
        deployment_id: str,
        started_at: float,
        container_ids: Mapping[str, str],
    ) -> None:
        """Take back a task a previous emulator left running (``adoption.plan_adoption``).

        ECS keeps tasks running across a control-plane restart, so the task is RUNNING at
        once, keeps its ARN and ``startedAt``, and fills its slot in ``deployment_id``
        (no replacement is started). The next :meth:`step` asks the runtime to watch it
        and registers it in the service's target groups again, where it starts
        ``initial`` and turns healthy with the group's checks, as any new target.
        """
        dep = self._deployment(deployment_id)
        if dep is None:
            raise ValueError(f"service {self.service.service_name} has no {deployment_id}")
        record = self._track(dep, task_arn, started_at)
        _mark_running(record.task, started_at, container_ids)
        self._adopted.append((record, dict(container_ids)))
        if dep is not self.service.primary:
            # replayed as a fresh ACTIVE deployment with no tasks: it owns this one again
            dep.desired_count += 1
        self._steady = False

    def restore_completed(self, deployment_id: str) -> bool:
        """Journal replay: the PRIMARY ``deployment_id`` had COMPLETED before a restart.

        Replayed in journal order, a completion finds its deployment PRIMARY as it was
        then, and the older ones go as they went then, so a circuit breaker tripping
        after the restart has a COMPLETED deployment to roll back to. False (nothing
        changed) when ``deployment_id`` is not this service's PRIMARY.
        """
        primary = self.service.primary
        if primary.id != deployment_id:
            return False
        self._complete(primary, self._clock.now())
        return True

    def _complete(self, primary: Deployment, now: float) -> None:
        """The PRIMARY is COMPLETED; older deployments turn INACTIVE and leave the list."""
        primary.rollout_state = RolloutState.COMPLETED
        primary.rollout_state_reason = f"ECS deployment {primary.id} completed."
        primary.updated_at = now
        for d in self._old_deployments():
            d.status = DeploymentStatus.INACTIVE
            d.updated_at = now
        self.service.deployments = [primary]

    def step(self, observations: Iterable[Observation] = ()) -> list[Action]:
        """Apply observations, decide, and return the actions for the runtime/balancer."""
        now = self._clock.now()
        batch = StepBatch(self.service.service_name, now)
        self._watch_adopted(batch)
        for observation in observations:
            self._apply(observation, now, batch)
        self._reconcile(now, batch)
        self._refresh_counts(now)
        self._check_outcome(now, batch)
        self._prune(now)
        self._publish(batch)
        return batch.actions

    def _watch_adopted(self, batch: StepBatch) -> None:
        adopted, self._adopted = self._adopted, []
        for record, container_ids in adopted:
            if not record.active:
                continue
            task = record.task
            checks = self._health_checks(record.spec)
            batch.actions.append(AdoptTask(task, record.spec, container_ids, checks))
            self._register(record, batch)

    # ------------------------------------------------------------------ observations

    def _apply(self, obs: Observation, now: float, batch: StepBatch) -> None:
        record = self._records.get(obs.task_arn)
        if record is None or record.task.last_status is TaskStatus.STOPPED:
            return
        task = record.task
        match obs:
            case TaskRunning():
                if not record.starting:
                    return
                _mark_running(task, now, dict(obs.runtime_ids))
                if record.active:
                    self._register(record, batch)
            case TaskStopped():
                self._on_stopped(record, obs, now, batch)
            case ContainerHealthCheckResult():
                if not record.running or task.started_at is None:
                    return
                status = record.container_health.record(
                    obs.container_name,
                    obs.passed,
                    now - task.started_at,
                    self.settings.time_scale,
                )
                for c in task.containers:
                    if c.name == obs.container_name and status is not None:
                        c.health_status = status
                task.health_status = record.container_health.task_status
            case TargetHealthChanged():
                state = record.targets.get(obs.target_group_arn)
                if state in (TargetState.INITIAL, TargetState.HEALTHY, TargetState.UNHEALTHY):
                    record.targets[obs.target_group_arn] = (
                        TargetState.HEALTHY if obs.healthy else TargetState.UNHEALTHY
                    )
            case TargetDrained():
                if obs.target_group_arn in record.targets:
                    record.targets[obs.target_group_arn] = TargetState.DRAINED
                draining = TargetState.DRAINING in record.targets.values()
                if not record.active and not record.stop_issued and not draining:
                    self._issue_stop(record, batch)
            case StopRequested():
                if record.active:
                    self._account_loss(record)
                    self._begin_stop(record, obs.reason, StopCode.USER_INITIATED, now, batch)

    def _on_stopped(
        self, record: TaskRecord, obs: TaskStopped, now: float, batch: StepBatch
    ) -> None:
        task = record.task
        expected = task.desired_status is TaskStatus.STOPPED
        was_running = task.started_at is not None
        task.last_status = TaskStatus.STOPPED
        task.desired_status = TaskStatus.STOPPED
        task.stopped_at = now
        for c in task.containers:
            c.last_status = TaskStatus.STOPPED
            if obs.container_name in (None, c.name) and obs.exit_code is not None:
                c.exit_code = obs.exit_code
                c.reason = obs.reason or None
        for tg in record.registered_targets():
            batch.actions.append(DeregisterTarget(task.task_arn, tg))
            batch.deregistered(tg, task.task_id)
        for tg in record.targets:
            record.targets[tg] = TargetState.DRAINED
        if expected:
            return
        if was_running:
            task.stop_code = StopCode.ESSENTIAL_CONTAINER_EXITED
            task.stopped_reason = obs.reason or "Essential container in task exited"
        else:
            task.stop_code = StopCode.TASK_FAILED_TO_START
            task.stopped_reason = obs.reason or "Task failed to start"
        self._account_loss(record)
        if not record.ever_healthy:
            # Stage 1 (never RUNNING) -- and, by our decision, a task that died before it
            # was ever healthy: a crash loop is the commonest failed deployment.
            self._failure(record, now, batch)

    def _account_loss(self, record: TaskRecord) -> None:
        """A task of an older deployment went away mid-rollout: the PRIMARY takes its
        place rather than the old revision (unless the PRIMARY failed and is frozen)."""
        dep = self._deployment(record.task.deployment_id)
        primary = self.service.primary
        if dep is not None and dep is not primary and not self._frozen():
            dep.desired_count = max(0, dep.desired_count - 1)

    # ------------------------------------------------------------------ decisions

    def _reconcile(self, now: float, batch: StepBatch) -> None:
        self._judge(now, batch)
        bounds = self.bounds()
        self._replace_unhealthy(bounds, now, batch)
        primary = self.service.primary
        if not self._frozen():
            self._scale_in_old(bounds, now, batch)
            self._start(primary, bounds, now, batch)
        else:
            for dep in self._old_deployments():
                self._start(dep, bounds, now, batch)
        self._scale_in_primary(bounds, now, batch)

    def _judge(self, now: float, batch: StepBatch) -> None:
        name = self.service.service_name
        for r in self._records.values():
            if not (r.active and r.running) or r.task.started_at is None:
                r.verdict = Verdict.WAITING
                continue
            r.verdict = verdict(self._inputs(r, now))
            if r.verdict is Verdict.HEALTHY:
                r.unhealthy_reported = False  # a later failure is reported again
            if r.verdict is Verdict.HEALTHY and not r.ever_healthy:
                r.ever_healthy = True
                dep = self._deployment(r.task.deployment_id)
                if dep is not None:
                    circuit_breaker.record_success(dep)
            if r.verdict is Verdict.UNHEALTHY and not r.unhealthy_reported:
                r.unhealthy_reported = True
                tg = self._failing_target(r)
                if tg is not None:
                    port = next(
                        lb.container_port
                        for lb in self.service.load_balancers
                        if lb.target_group_arn == tg
                    )
                    batch.event(ev.TargetUnhealthy(name, now, r.task.task_id, port, tg))
                else:
                    batch.event(ev.TaskFailedContainerHealthChecks(name, now, r.task.task_id))

    def _replace_unhealthy(self, bounds: Bounds, now: float, batch: StepBatch) -> None:
        primary = self.service.primary
        for r in [r for r in self._records.values() if r.unhealthy]:
            dep = self._deployment(r.task.deployment_id)
            if dep is primary and not self._frozen():
                replacement_ready = self._count(dep, healthy=True) >= dep.desired_count
                no_room = bounds.room_to_start(self.occupied_count()) == 0
                one_in_flight = any(
                    x.health_stop and x.live and not x.active for x in self._records.values()
                )
                if not (replacement_ready or (no_room and not one_in_flight)):
                    continue
            elif dep is not None and dep is not primary:
                self._account_loss(r)
            tg = self._failing_target(r)
            reason = (
                f"Task failed ELB health checks in (target-group {tg})"
                if tg is not None
                else "Task failed container health checks"
            )
            r.health_stop = True
            self._begin_stop(r, reason, StopCode.SERVICE_SCHEDULER_INITIATED, now, batch)
            self._failure(r, now, batch)

    def _scale_in_old(self, bounds: Bounds, now: float, batch: StepBatch) -> None:
        healthy = self.healthy_count()
        old_ids = {d.id for d in self._old_deployments()}
        candidates = [
            r for r in self._records.values() if r.active and r.task.deployment_id in old_ids
        ]
        candidates.sort(key=lambda r: r.healthy)  # stable: not-healthy first, then oldest
        reason = f"Scaling activity initiated by (deployment {self.service.primary.id})"
        for r in candidates:
            if r.healthy:
                if bounds.may_stop_healthy(healthy) <= 0:
                    break
                healthy -= 1
            dep = self._deployment(r.task.deployment_id)
            if dep is not None:
                dep.desired_count = max(0, dep.desired_count - 1)
            self._begin_stop(r, reason, StopCode.SERVICE_SCHEDULER_INITIATED, now, batch)

    def _start(self, dep: Deployment, bounds: Bounds, now: float, batch: StepBatch) -> None:
        keeping = sum(
            1
            for r in self._records.values()
            if r.active and not r.unhealthy and r.task.deployment_id == dep.id
        )
        need = dep.desired_count - keeping
        room = bounds.room_to_start(self.occupied_count())
        for _ in range(max(0, min(need, room))):
            self._launch(dep, now, batch)

    def _scale_in_primary(self, bounds: Bounds, now: float, batch: StepBatch) -> None:
        primary = self.service.primary
        order = {arn: i for i, arn in enumerate(self._records)}
        mine = [
            r
            for r in self._records.values()
            if r.active and not r.unhealthy and r.task.deployment_id == primary.id
        ]
        excess = len(mine) - primary.desired_count
        if excess <= 0:
            return
        # Not-yet-healthy first (stopping them costs no capacity), then the newest:
        # long-running tasks have warm caches and a known track record.
        mine.sort(key=lambda r: (r.healthy, -order[r.arn]))
        healthy = self.healthy_count()
        reason = f"Scaling activity initiated by (deployment {primary.id})"
        for r in mine:
            if excess == 0:
                break
            if r.healthy:
                if bounds.may_stop_healthy(healthy) <= 0:
                    break
                healthy -= 1
            self._begin_stop(r, reason, StopCode.SERVICE_SCHEDULER_INITIATED, now, batch)
            excess -= 1

    # ------------------------------------------------------------------ effects

    def _register(self, record: TaskRecord, batch: StepBatch) -> None:
        """Register a RUNNING task in every target group of the service."""
        task = record.task
        for lb in self.service.load_balancers:
            batch.actions.append(
                RegisterTarget(
                    task.task_arn, lb.target_group_arn, lb.container_name, lb.container_port
                )
            )
            record.targets[lb.target_group_arn] = TargetState.INITIAL
            batch.registered(lb.target_group_arn, task.task_id)

    def _health_checks(self, spec: TaskDefinitionSpec) -> tuple[HealthCheckSchedule, ...]:
        """What the runtime runs for the task's container health checks (scaled)."""
        scaled = self.settings.scaled
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

    def _launch(self, dep: Deployment, now: float, batch: StepBatch) -> None:
        prefix, cluster = self.service.cluster_arn.split(":cluster/", 1)
        record = self._track(dep, f"{prefix}:task/{cluster}/{self._ids.task_id()}", now)
        batch.actions.append(StartTask(record.task, record.spec, self._health_checks(record.spec)))
        batch.started(record.task.task_id)

    def _track(self, dep: Deployment, task_arn: str, created_at: float) -> TaskRecord:
        """A new task of ``dep``, PROVISIONING until the runtime reports it running."""
        spec = self._specs[dep.task_definition]
        task = Task(
            task_arn=task_arn,
            task_definition_arn=spec.arn,
            cluster_arn=self.service.cluster_arn,
            deployment_id=dep.id,
            group=f"service:{self.service.service_name}",
            created_at=created_at,
            containers=[Container(name=c.name, image=c.image) for c in spec.containers],
            launch_type=self.service.launch_type,
        )
        record = TaskRecord(
            task=task,
            spec=spec,
            container_health=ContainerHealthTracker.for_task_definition(spec),
        )
        self._records[task_arn] = record
        return record

    def _begin_stop(
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
        self._issue_stop(r, batch)

    def _issue_stop(self, r: TaskRecord, batch: StepBatch) -> None:
        r.stop_issued = True
        task = r.task
        task.last_status = TaskStatus.STOPPING
        batch.actions.append(
            StopTask(
                task.task_arn,
                task.stopped_reason or "",
                self.settings.scaled(r.spec.stop_timeout),
            )
        )
        batch.stopped(task.task_id)

    def _failure(self, r: TaskRecord, now: float, batch: StepBatch) -> None:
        """Count a failed task against its deployment; trip the breaker at the threshold."""
        dep = self._deployment(r.task.deployment_id)
        if dep is None or dep is not self.service.primary:
            return
        config = self.service.deployment_configuration
        if circuit_breaker.record_failure(dep, config, self.settings):
            self._trip(dep, now, batch)

    def _trip(self, failed: Deployment, now: float, batch: StepBatch) -> None:
        name = self.service.service_name
        failed.rollout_state = RolloutState.FAILED
        failed.rollout_state_reason = circuit_breaker.FAILED_REASON
        failed.updated_at = now
        batch.event(ev.DeploymentFailed(name, now, failed.id, "tasks failed to start."))
        if not self.service.deployment_configuration.deployment_circuit_breaker.rollback:
            return
        target = next(
            (d for d in self._old_deployments() if d.rollout_state is RolloutState.COMPLETED), None
        )
        if target is None:
            return  # nothing to return to: the deployment stalls, FAILED
        failed.status = DeploymentStatus.ACTIVE
        failed.desired_count = sum(
            1 for r in self._records.values() if r.active and r.task.deployment_id == failed.id
        )
        target.status = DeploymentStatus.PRIMARY
        target.desired_count = self.service.desired_count
        target.rollout_state = RolloutState.IN_PROGRESS
        target.rollout_state_reason = (
            f"ECS deployment circuit breaker: rolling back to deploymentId {target.id}."
        )
        target.updated_at = now
        self.service.deployments.remove(target)
        self.service.deployments.insert(0, target)
        self.service.task_definition = target.task_definition
        self._stall_reported = False
        self._steady = False
        batch.event(ev.RollingBack(name, now, failed.id, target.id))

    def _new_deployment(self, spec: TaskDefinitionSpec, now: float) -> None:
        self._specs[spec.arn] = spec
        for d in self.service.deployments:
            if d.status is DeploymentStatus.PRIMARY:
                d.status = DeploymentStatus.ACTIVE
                d.desired_count = sum(
                    1 for r in self._records.values() if r.active and r.task.deployment_id == d.id
                )
                d.updated_at = now
        dep_id = self._ids.deployment_id()
        self.service.deployments.insert(
            0,
            Deployment(
                id=dep_id,
                status=DeploymentStatus.PRIMARY,
                task_definition=spec.arn,
                desired_count=self.service.desired_count,
                created_at=now,
                updated_at=now,
                rollout_state=RolloutState.IN_PROGRESS,
                rollout_state_reason=f"ECS deployment {dep_id} in progress.",
                launch_type=self.service.launch_type,
            ),
        )
        self.service.task_definition = spec.arn
        self._stall_reported = False
        self._steady = False

    # ------------------------------------------------------------------ outcome

    def _refresh_counts(self, now: float) -> None:
        svc = self.service
        svc.running_count = svc.pending_count = 0
        for d in svc.deployments:
            mine = [r for r in self._records.values() if r.task.deployment_id == d.id]
            pending = sum(1 for r in mine if r.active and r.starting)
            running = sum(1 for r in mine if r.running)
            if (pending, running) != (d.pending_count, d.running_count):
                d.pending_count, d.running_count, d.updated_at = pending, running, now
            svc.running_count += running
            svc.pending_count += pending

    def _check_outcome(self, now: float, batch: StepBatch) -> None:
        svc = self.service
        primary = svc.primary
        name = svc.service_name
        live = [r for r in self._records.values() if r.live]
        settled = len(live) == primary.desired_count and all(
            r.healthy and r.task.deployment_id == primary.id for r in live
        )
        if settled and primary.rollout_state is RolloutState.IN_PROGRESS:
            self._complete(primary, now)
            batch.event(ev.DeploymentCompleted(name, now, primary.id))
        if settled and not self._steady:
            self._steady = True
            batch.event(ev.SteadyState(name, now))
        elif not settled:
            self._steady = False
        if batch.actions:
            self._stall_reported = False
            return
        in_flight = any(not r.active or not (r.healthy or r.unhealthy) for r in live)
        if (
            primary.rollout_state is RolloutState.IN_PROGRESS
            and not settled
            and not in_flight
            and not self._stall_reported
        ):
            self._stall_reported = True
            batch.event(ev.DeploymentConfigurationStall(name, now))

    def _prune(self, now: float) -> None:
        horizon = now - self.settings.scaled(self.settings.stopped_task_retention)
        for arn in [
            arn
            for arn, r in self._records.items()
            if r.task.stopped_at is not None and r.task.stopped_at < horizon
        ]:
            del self._records[arn]

    def _publish(self, batch: StepBatch) -> None:
        for event in batch.events():
            record = ServiceEvent(id=str(uuid.uuid4()), created_at=event.at, message=event.message)
            self.service.events.insert(0, record)
            self.bus.publish(event)
        del self.service.events[MAX_EVENTS:]

    # ------------------------------------------------------------------ helpers

    def _frozen(self) -> bool:
        """A FAILED PRIMARY (no rollback, or nothing to roll back to) launches nothing."""
        return self.service.primary.rollout_state is RolloutState.FAILED

    def _deployment(self, deployment_id: str) -> Deployment | None:
        return next((d for d in self.service.deployments if d.id == deployment_id), None)

    def _old_deployments(self) -> list[Deployment]:
        """Non-PRIMARY deployments, newest first."""
        return [d for d in self.service.deployments if d.status is not DeploymentStatus.PRIMARY]

    def _count(self, dep: Deployment, *, healthy: bool) -> int:
        return sum(
            1
            for r in self._records.values()
            if r.task.deployment_id == dep.id and r.healthy == healthy and r.active
        )

    def _inputs(self, r: TaskRecord, now: float) -> HealthInputs:
        started = r.task.started_at if r.task.started_at is not None else now
        return HealthInputs(
            seconds_running=now - started,
            container_status=r.container_health.task_status,
            has_container_checks=r.container_health.has_checks,
            target_states=tuple(r.targets.values()),
            has_load_balancer=bool(self.service.load_balancers),
            grace_period=self.settings.scaled(self.service.health_check_grace_period_seconds),
            no_check_ready_after=self.settings.scaled(self.settings.no_health_check_ready_after),
        )

    def _failing(self, r: TaskRecord) -> bool:
        return (
            r.container_health.task_status is HealthStatus.UNHEALTHY
            or TargetState.UNHEALTHY in r.targets.values()
        )

    def _failing_target(self, r: TaskRecord) -> str | None:
        return next((tg for tg, s in r.targets.items() if s is TargetState.UNHEALTHY), None)


def _mark_running(task: Task, started_at: float, runtime_ids: Mapping[str, str]) -> None:
    """The task and its containers are RUNNING (started, or adopted after a restart)."""
    task.last_status = TaskStatus.RUNNING
    task.started_at = started_at
    for c in task.containers:
        c.last_status = TaskStatus.RUNNING
        c.runtime_id = runtime_ids.get(c.name, c.runtime_id)
