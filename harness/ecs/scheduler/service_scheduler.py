"""One service's scheduler: observations in, actions out.

``step`` applies what the runtime and balancer observed, then decides in a fixed order:

1. judge every running task (:mod:`.task_health`) and note first-time healthy tasks;
2. reconcile by the service's deployment strategy (:mod:`.deployment_strategy`; ROLLING
   is :mod:`.rolling_update`): replace unhealthy tasks, scale in older deployments,
   start tasks for the PRIMARY, scale in a PRIMARY above its desired count;
3. complete the deployment, report a steady state, or report a configuration stall
   (:mod:`.deployment_progress`).

It reacts to each observation at once; the only time-based decisions (a task without
any health check counts healthy 40 s after RUNNING; the grace period ending) are
announced by ``next_wakeup``.

This class is the facade the driver and the control plane hold; each concern lives in
its own module over one shared :class:`.service_state.ServiceState`: starting and
stopping tasks (:mod:`.task_lifecycle`), applying observations
(:mod:`.task_observations`), the circuit breaker's rollback (:mod:`.rollback`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from harness.ecs import events as ev
from harness.ecs.domain import (
    DeploymentConfiguration,
    HookAction,
    HookStatus,
    HookTargetType,
    LifecycleStage,
    Service,
    ServiceDeploymentStatus,
    StopType,
    Task,
    TaskDefinitionSpec,
)
from harness.ecs.scheduler import task_health
from harness.ecs.scheduler.actions import Action
from harness.ecs.scheduler.batch import StepBatch
from harness.ecs.scheduler.bounds import Bounds
from harness.ecs.scheduler.deployment_guard import ROLLING_BACK_TO, in_progress
from harness.ecs.scheduler.deployment_inbox import NoSuchPausedHook, NothingToStop
from harness.ecs.scheduler.deployment_progress import DeploymentProgress
from harness.ecs.scheduler.deployment_status import DeploymentStatuses
from harness.ecs.scheduler.deployment_strategy import Reconcilers
from harness.ecs.scheduler.ids import IdSource, RandomIds
from harness.ecs.scheduler.observations import AlarmsInAlarm, HookAnswered, Observation
from harness.ecs.scheduler.ports import Clock
from harness.ecs.scheduler.rollback import Rollback
from harness.ecs.scheduler.service_state import ServiceState
from harness.ecs.scheduler.settings import SchedulerSettings
from harness.ecs.scheduler.task_lifecycle import TaskLifecycle
from harness.ecs.scheduler.task_observations import TaskObservations

#: Why a replayed rollback's deployment failed (the journal keeps ids, not the reason;
#: how the service deployment ended is restored from its own line).
RESTORED_ROLLBACK = "Service deployment rolled back before the emulator restarted."


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
        self._state = ServiceState(
            service, clock=clock, settings=self.settings, ids=ids or RandomIds()
        )
        self._lifecycle = TaskLifecycle(self._state)
        rollback = self._rollback = Rollback(self._state)
        self._observations = TaskObservations(self._state, self._lifecycle, rollback)
        self._reconcilers = Reconcilers(self._state, self._lifecycle, rollback)
        self._progress = DeploymentProgress(self._state, self.bus)
        self._statuses = DeploymentStatuses(self._state)
        now = clock.now()
        if not service.created_at:
            service.created_at = now
        self._progress.new_deployment(task_definition, now)

    # ------------------------------------------------------------------ reading state

    @property
    def tasks(self) -> list[Task]:
        """Every task the service started, oldest first, stopped ones included."""
        return [r.task for r in self._state.records.values()]

    def task(self, task_arn: str) -> Task:
        return self._state.records[task_arn].task

    def is_healthy(self, task_arn: str) -> bool:
        """Whether the task counts as RUNNING and healthy toward minimumHealthyPercent."""
        record = self._state.records.get(task_arn)
        return record is not None and record.healthy

    def healthy_count(self) -> int:
        return self._state.healthy_count()

    def occupied_count(self) -> int:
        """Tasks holding a slot under maximumPercent: every task not yet STOPPED."""
        return self._state.occupied_count()

    def bounds(self) -> Bounds:
        return self._state.bounds()

    def next_wakeup(self) -> float | None:
        """When a time-based decision is next due (epoch s), None when nothing is timed:
        health verdicts (:mod:`.task_health`) and the strategy's bake times and hooks."""
        times = [
            t
            for t in (
                task_health.next_wakeup(self._state),
                self._reconcilers.next_wakeup(self.service.deployment_configuration),
            )
            if t is not None
        ]
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
        self._progress.update(
            task_definition=task_definition,
            desired_count=desired_count,
            deployment_configuration=deployment_configuration,
            health_check_grace_period_seconds=health_check_grace_period_seconds,
            force_new_deployment=force_new_deployment,
        )

    def stop_deployment(self, stop_type: StopType) -> None:
        """``StopServiceDeployment`` of the deployment in progress; the next :meth:`step`
        acts (ROLLBACK: back to the previous revision; ABORT: stop where it is).

        A rollback already requested or under way just goes on (AWS: whatever the stop
        type). Raises :class:`NothingToStop` when no deployment is in progress, or when a
        BLUE_GREEN/LINEAR/CANARY deployment is in CLEAN_UP (blue is being stopped; like an
        alarm then, a stop can no longer undo it).
        """
        primary = self.service.primary
        life = primary.lifecycle
        rolling_back = (
            ServiceDeploymentStatus.ROLLBACK_REQUESTED,
            ServiceDeploymentStatus.ROLLBACK_IN_PROGRESS,
        )
        if any(d.lifecycle.status in rolling_back for d in self.service.deployments):
            return
        if not in_progress(primary) or primary.rollout_state.value != "IN_PROGRESS":
            raise NothingToStop(
                f"service {self.service.service_name} has no deployment in progress to stop "
                f"(deployment {primary.id} is {life.status.value})"
            )
        if life.stage is LifecycleStage.CLEAN_UP:
            raise NothingToStop(
                f"deployment {primary.id} of service {self.service.service_name} is in "
                "CLEAN_UP: production traffic is on the new revision and the previous one is "
                "being stopped, so there is nothing to stop or roll back to"
            )
        self._state.inbox.stop = stop_type
        life.status = (
            ServiceDeploymentStatus.ROLLBACK_REQUESTED
            if stop_type is StopType.ROLLBACK
            else ServiceDeploymentStatus.STOP_REQUESTED
        )

    def continue_deployment(self, hook_id: str, action: HookAction) -> None:
        """``ContinueServiceDeployment``: end the PAUSE hook ``hook_id`` with ``action``
        at the next :meth:`step`. Raises :class:`NoSuchPausedHook` unless ``hook_id`` is
        a PAUSE hook of this service awaiting action."""
        runs = [
            run
            for dep in self.service.deployments
            for run in dep.lifecycle.hooks
            if run.hook_id == hook_id
        ]
        if not runs:
            raise NoSuchPausedHook(
                f"service {self.service.service_name} has no lifecycle hook {hook_id!r}"
            )
        run = runs[0]
        if run.hook.target_type is not HookTargetType.PAUSE:
            raise NoSuchPausedHook(f"lifecycle hook {hook_id} is not a PAUSE hook")
        if run.status is not HookStatus.AWAITING_ACTION or hook_id in self._state.inbox.continues:
            raise NoSuchPausedHook(
                f"lifecycle hook {hook_id} is not awaiting action (it is {run.status.value})"
            )
        self._state.inbox.continues[hook_id] = action

    def adopt(
        self,
        task_arn: str,
        deployment_id: str,
        started_at: float,
        container_ids: Mapping[str, str],
    ) -> None:
        """Take back a task a previous emulator left running (``adoption_plan.plan_adoption``).

        The task is RUNNING at once in ``deployment_id``; the next :meth:`step` asks the
        runtime to watch it and registers it again (:meth:`TaskLifecycle.adopt`).
        """
        self._lifecycle.adopt(task_arn, deployment_id, started_at, container_ids)

    def restore_completed(self, deployment_id: str) -> bool:
        """Journal replay: mark the PRIMARY ``deployment_id`` COMPLETED again, as it was
        before a restart (:meth:`DeploymentProgress.restore_completed`)."""
        return self._progress.restore_completed(deployment_id, self._state.clock.now())

    def restore_rolled_back(self, failed_id: str, target_id: str) -> bool:
        """Journal replay: the PRIMARY ``failed_id`` was rolled back to ``target_id``
        before a restart. The rollback's own :meth:`Rollback.revert` runs again on a
        batch that is thrown away: its events were published (and journaled) then, and
        the weights it set are journaled lines of their own. False (nothing changed)
        when ``failed_id`` is not this service's PRIMARY or ``target_id`` not its own."""
        state = self._state
        failed, target = state.deployment(failed_id), state.deployment(target_id)
        if failed is None or target is None or failed is not self.service.primary:
            return False
        now = state.clock.now()
        batch = StepBatch(self.service.service_name, now)
        self._rollback.revert(failed, RESTORED_ROLLBACK, ROLLING_BACK_TO, now, batch, target)
        self._reconcilers.rolled_back_to(target_id)
        return True

    def step(self, observations: Iterable[Observation] = ()) -> list[Action]:
        """Apply observations, decide, and return the actions for the runtime/balancer."""
        state = self._state
        now = state.clock.now()
        batch = StepBatch(self.service.service_name, now)
        self._lifecycle.watch_adopted(batch)
        for observation in observations:
            match observation:
                case HookAnswered():
                    state.inbox.hook_answers[observation.hook_id] = observation
                case AlarmsInAlarm():
                    if observation.service_name == self.service.service_name:
                        state.inbox.alarms_in_alarm = observation.alarm_names
                case _:
                    self._observations.apply(observation, now, batch)
        task_health.judge(state, now, batch)
        self._reconcilers.for_config(self.service.deployment_configuration).reconcile(now, batch)
        self._progress.refresh_counts(now)
        self._progress.check_outcome(now, batch)
        self._statuses.refresh(now)
        self._progress.prune(now)
        self._progress.publish(batch)
        return batch.actions
