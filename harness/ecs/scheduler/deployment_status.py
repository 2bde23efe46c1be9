"""Each deployment's ``ServiceDeployment.status``, kept current after every step.

Whatever the strategy, a deployment is PENDING until it is the PRIMARY, IN_PROGRESS while
it rolls out, SUCCESSFUL once COMPLETED, STOPPED when a newer deployment replaces it
before it completed (or it failed without rollback, or was aborted), and after a
rollback ROLLBACK_SUCCESSFUL once the revision it returned to is back in full (it then
leaves ``deployments[]`` as INACTIVE). The rollback itself (ROLLBACK_REQUESTED,
ROLLBACK_IN_PROGRESS, ROLLBACK_FAILED) is set where it is decided (:mod:`.rollback`).
Deployments are followed here until their status is final, even after they have left
the service's list, so the API can still show how they ended.
"""

from __future__ import annotations

from harness.ecs.domain import Deployment, DeploymentStatus, RolloutState
from harness.ecs.domain import ServiceDeploymentStatus as Status
from harness.ecs.scheduler.service_state import ServiceState

FINAL = (Status.SUCCESSFUL, Status.STOPPED, Status.ROLLBACK_SUCCESSFUL, Status.ROLLBACK_FAILED)


class DeploymentStatuses:
    """Follows one service's deployments to a final status."""

    def __init__(self, state: ServiceState) -> None:
        self._state = state
        self._open: dict[str, Deployment] = {}

    def refresh(self, now: float) -> None:
        service = self._state.service
        primary = service.primary
        listed = {d.id for d in service.deployments}
        for d in service.deployments:
            if d.id not in self._open and d.lifecycle.status not in FINAL:
                self._open[d.id] = d
                if not d.lifecycle.source_deployment_ids:
                    d.lifecycle.source_deployment_ids = tuple(
                        o.id for o in service.deployments if o is not d
                    )
        for dep_id, d in list(self._open.items()):
            life = d.lifecycle
            gone = dep_id not in listed or d.status is DeploymentStatus.INACTIVE
            if life.status is Status.PENDING and d is primary:
                life.status = Status.IN_PROGRESS
                life.started_at = d.created_at
            if life.status in (Status.IN_PROGRESS, Status.PENDING):
                if d.rollout_state is RolloutState.COMPLETED:
                    life.status = Status.SUCCESSFUL
                    life.finished_at = now
                elif d is not primary and d.rollout_state is RolloutState.IN_PROGRESS:
                    life.status = Status.STOPPED
                    life.status_reason = f"Replaced by deployment {primary.id}."
                    life.stopped_at = now
            elif life.status is Status.ROLLBACK_IN_PROGRESS and gone:
                life.status = Status.ROLLBACK_SUCCESSFUL
                life.finished_at = now
            elif life.status is Status.STOP_REQUESTED and d.rollout_state is RolloutState.FAILED:
                life.status = Status.STOPPED
                life.stopped_at = life.stopped_at or now
            if life.status in FINAL:
                del self._open[dep_id]
