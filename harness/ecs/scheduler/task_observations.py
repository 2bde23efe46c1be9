"""Applying what the runtime and the balancer observed to the task records.

The scheduler reacts to each observation at once: a task RUNNING is registered in its
target groups, a drained target of a task being stopped lets the stop go ahead, a task
that stops unexpectedly is accounted for (and counted against the circuit breaker when
it never became healthy). Observations about unknown or already STOPPED tasks are late
news and ignored.
"""

from __future__ import annotations

from harness.ecs.domain import StopCode, TaskStatus
from harness.ecs.scheduler.actions import DeregisterTarget
from harness.ecs.scheduler.batch import StepBatch
from harness.ecs.scheduler.health import TargetState
from harness.ecs.scheduler.observations import (
    ContainerHealthCheckResult,
    Observation,
    StopRequested,
    TargetDrained,
    TargetHealthChanged,
    TaskRunning,
    TaskStopped,
)
from harness.ecs.scheduler.records import TaskRecord
from harness.ecs.scheduler.rollback import Rollback
from harness.ecs.scheduler.service_state import ServiceState
from harness.ecs.scheduler.task_lifecycle import TaskLifecycle, mark_running


class TaskObservations:
    """Turns one service's observations into record changes and follow-up actions."""

    def __init__(self, state: ServiceState, lifecycle: TaskLifecycle, rollback: Rollback) -> None:
        self._state = state
        self._lifecycle = lifecycle
        self._rollback = rollback

    def apply(self, obs: Observation, now: float, batch: StepBatch) -> None:
        record = self._state.records.get(obs.task_arn)
        if record is None or record.task.last_status is TaskStatus.STOPPED:
            return
        task = record.task
        lifecycle = self._lifecycle
        match obs:
            case TaskRunning():
                if not record.starting:
                    return
                mark_running(task, now, dict(obs.runtime_ids))
                if record.active:
                    lifecycle.register(record, batch)
            case TaskStopped():
                self._on_stopped(record, obs, now, batch)
            case ContainerHealthCheckResult():
                if not record.running or task.started_at is None:
                    return
                status = record.container_health.record(
                    obs.container_name,
                    obs.passed,
                    now - task.started_at,
                    self._state.settings.time,
                )
                for c in task.containers:
                    if c.name == obs.container_name and status is not None:
                        c.health_status = status
                task.health_status = record.container_health.task_status
            case TargetHealthChanged():
                current = record.targets.get(obs.target_group_arn)
                if current in (TargetState.INITIAL, TargetState.HEALTHY, TargetState.UNHEALTHY):
                    record.targets[obs.target_group_arn] = (
                        TargetState.HEALTHY if obs.healthy else TargetState.UNHEALTHY
                    )
            case TargetDrained():
                if obs.target_group_arn in record.targets:
                    record.targets[obs.target_group_arn] = TargetState.DRAINED
                draining = TargetState.DRAINING in record.targets.values()
                if not record.active and not record.stop_issued and not draining:
                    lifecycle.issue_stop(record, batch)
            case StopRequested():
                if record.active:
                    lifecycle.account_loss(record)
                    lifecycle.begin_stop(record, obs.reason, StopCode.USER_INITIATED, now, batch)

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
        self._lifecycle.account_loss(record)
        if not record.ever_healthy:
            # Stage 1 (never RUNNING) -- and, by our decision, a task that died before it
            # was ever healthy: a crash loop is the commonest failed deployment.
            self._rollback.task_failed(record, now, batch)
