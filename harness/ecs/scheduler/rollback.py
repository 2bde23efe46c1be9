"""A failed task counts against its deployment; at the threshold the deployment fails.

Only tasks of the PRIMARY count: an older deployment is on its way out. When the
deployment circuit breaker trips with ``rollback`` on, the last COMPLETED deployment
becomes PRIMARY again and the failed one is scaled in like any older deployment; with
nothing to return to, or without rollback, the PRIMARY stays FAILED and frozen (see
:meth:`.service_state.ServiceState.frozen`). The threshold and the counting rule are in
:mod:`.circuit_breaker`; this module acts on them, whatever the deployment strategy.
"""

from __future__ import annotations

from harness.ecs import events as ev
from harness.ecs.domain import (
    Deployment,
    DeploymentStatus,
    RolloutState,
    ServiceDeploymentStatus,
)
from harness.ecs.scheduler import circuit_breaker
from harness.ecs.scheduler.batch import StepBatch
from harness.ecs.scheduler.records import TaskRecord
from harness.ecs.scheduler.service_state import ServiceState


class Rollback:
    """The circuit breaker's effect on one service's deployments."""

    def __init__(self, state: ServiceState) -> None:
        self._state = state

    def task_failed(self, r: TaskRecord, now: float, batch: StepBatch) -> None:
        """Count a failed task against its deployment; trip the breaker at the threshold."""
        service = self._state.service
        dep = self._state.deployment(r.task.deployment_id)
        if dep is None or dep is not service.primary:
            return
        config = service.deployment_configuration
        if circuit_breaker.record_failure(dep, config, self._state.settings):
            self._trip(dep, now, batch)

    def _trip(self, failed: Deployment, now: float, batch: StepBatch) -> None:
        name = self._state.service.service_name
        failed.rollout_state = RolloutState.FAILED
        failed.rollout_state_reason = circuit_breaker.FAILED_REASON
        failed.updated_at = now
        batch.event(ev.DeploymentFailed(name, now, failed.id, "tasks failed to start."))
        if not self._state.service.deployment_configuration.deployment_circuit_breaker.rollback:
            stopped(failed, "ECS deployment circuit breaker: tasks failed to start.", now)
            return
        self.revert(
            failed,
            "ECS deployment circuit breaker: tasks failed to start.",
            "ECS deployment circuit breaker: rolling back to deploymentId {target}.",
            now,
            batch,
        )

    def revert(
        self,
        failed: Deployment,
        reason: str,
        target_reason: str,
        now: float,
        batch: StepBatch,
        target: Deployment | None = None,
    ) -> Deployment | None:
        """Make the last COMPLETED deployment the PRIMARY again; ``failed`` is scaled in
        like any older deployment. ``target_reason`` (with ``{target}`` for its id) becomes
        the target's ``rolloutStateReason``. None, and ``failed`` ROLLBACK_FAILED and
        frozen, when there is nothing to return to. ``target``: the deployment to return
        to when the caller knows it (a blue/green deployment's blue)."""
        state, service = self._state, self._state.service
        failed.rollout_state = RolloutState.FAILED
        if not failed.rollout_state_reason or failed.rollout_state_reason.endswith("in progress."):
            failed.rollout_state_reason = reason
        failed.updated_at = now
        life = failed.lifecycle
        life.rollback_reason = reason
        life.rollback_started_at = now
        life.status_reason = reason
        if target is None:
            target = next(
                (d for d in state.old_deployments() if d.rollout_state is RolloutState.COMPLETED),
                None,
            )
        if target is None:
            life.status = ServiceDeploymentStatus.ROLLBACK_FAILED
            life.status_reason = f"{reason} No previous service revision to roll back to."
            life.finished_at = now
            return None  # nothing to return to: the deployment stalls, FAILED
        life.status = ServiceDeploymentStatus.ROLLBACK_IN_PROGRESS
        failed.status = DeploymentStatus.ACTIVE
        failed.desired_count = state.active_count(failed)
        target.status = DeploymentStatus.PRIMARY
        target.desired_count = service.desired_count
        target.rollout_state = RolloutState.IN_PROGRESS
        target.rollout_state_reason = target_reason.format(target=target.id)
        target.updated_at = now
        service.deployments.remove(target)
        service.deployments.insert(0, target)
        service.task_definition = target.task_definition
        state.forget_outcome()
        batch.event(ev.RollingBack(service.service_name, now, failed.id, target.id))
        return target


def stopped(dep: Deployment, reason: str, now: float) -> None:
    """A deployment that failed without rollback stops where it is (``stoppedAt``)."""
    life = dep.lifecycle
    life.status = ServiceDeploymentStatus.STOPPED
    life.status_reason = reason
    life.stopped_at = now
