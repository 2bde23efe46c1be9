"""The ROLLING deployment strategy: replace tasks within minimumHealthy/maximumPercent.

After every task has its verdict (:mod:`.task_health`), one reconciliation runs in a
fixed order (after a stop request or an alarm, :func:`.deployment_guard.guard_rolling`):

1. replace unhealthy tasks (replace first when maximumPercent leaves room, AWS's
   documented behaviour, so a fleet that is all unhealthy at once -- the case where the
   ALB fails open and still serves -- is not stopped all at once);
2. scale in older deployments as far as minimumHealthyPercent allows;
3. start tasks for the PRIMARY up to its desired count, as far as maximumPercent allows
   (when the PRIMARY has FAILED and is frozen, older deployments replace their own
   tasks instead);
4. scale in a PRIMARY above its desired count (not-yet-healthy tasks first, then newest).
"""

from __future__ import annotations

from harness.ecs.domain import Deployment, StopCode
from harness.ecs.scheduler.batch import StepBatch
from harness.ecs.scheduler.bounds import Bounds
from harness.ecs.scheduler.deployment_guard import guard_rolling
from harness.ecs.scheduler.rollback import Rollback
from harness.ecs.scheduler.service_state import ServiceState
from harness.ecs.scheduler.task_lifecycle import TaskLifecycle


class RollingUpdate:
    """ECS's rolling update (``deploymentConfiguration.strategy`` ROLLING)."""

    def __init__(self, state: ServiceState, lifecycle: TaskLifecycle, rollback: Rollback) -> None:
        self._state = state
        self._lifecycle = lifecycle
        self._rollback = rollback

    def reconcile(self, now: float, batch: StepBatch) -> None:
        state = self._state
        guard_rolling(state, self._rollback, now, batch)
        bounds = state.bounds()
        self._replace_unhealthy(bounds, now, batch)
        primary = state.service.primary
        if not state.frozen():
            self._scale_in_old(bounds, now, batch)
            self._start(primary, bounds, now, batch)
        else:
            for dep in state.old_deployments():
                self._start(dep, bounds, now, batch)
        self._scale_in_primary(bounds, now, batch)

    def next_wakeup(self) -> float | None:
        """Nothing of the rolling update waits on time alone (health does: task_health)."""
        return None

    def _replace_unhealthy(self, bounds: Bounds, now: float, batch: StepBatch) -> None:
        state = self._state
        primary = state.service.primary
        for r in [r for r in state.records.values() if r.unhealthy]:
            dep = state.deployment(r.task.deployment_id)
            if dep is primary and not state.frozen():
                replacement_ready = state.count(dep, healthy=True) >= dep.desired_count
                no_room = bounds.room_to_start(state.occupied_count()) == 0
                one_in_flight = any(
                    x.health_stop and x.live and not x.active for x in state.records.values()
                )
                if not (replacement_ready or (no_room and not one_in_flight)):
                    continue
            elif dep is not None and dep is not primary:
                self._lifecycle.account_loss(r)
            self._lifecycle.stop_unhealthy(r, now, batch)
            self._rollback.task_failed(r, now, batch)

    def _scale_in_old(self, bounds: Bounds, now: float, batch: StepBatch) -> None:
        state = self._state
        healthy = state.healthy_count()
        old_ids = {d.id for d in state.old_deployments()}
        candidates = [
            r for r in state.records.values() if r.active and r.task.deployment_id in old_ids
        ]
        candidates.sort(key=lambda r: r.healthy)  # stable: not-healthy first, then oldest
        reason = f"Scaling activity initiated by (deployment {state.service.primary.id})"
        for r in candidates:
            if r.healthy:
                if bounds.may_stop_healthy(healthy) <= 0:
                    break
                healthy -= 1
            dep = state.deployment(r.task.deployment_id)
            if dep is not None:
                dep.desired_count = max(0, dep.desired_count - 1)
            self._lifecycle.begin_stop(r, reason, StopCode.SERVICE_SCHEDULER_INITIATED, now, batch)

    def _start(self, dep: Deployment, bounds: Bounds, now: float, batch: StepBatch) -> None:
        state = self._state
        keeping = sum(
            1
            for r in state.records.values()
            if r.active and not r.unhealthy and r.task.deployment_id == dep.id
        )
        need = dep.desired_count - keeping
        room = bounds.room_to_start(state.occupied_count())
        for _ in range(max(0, min(need, room))):
            self._lifecycle.launch(dep, now, batch)

    def _scale_in_primary(self, bounds: Bounds, now: float, batch: StepBatch) -> None:
        state = self._state
        primary = state.service.primary
        order = {arn: i for i, arn in enumerate(state.records)}
        mine = [
            r
            for r in state.records.values()
            if r.active and not r.unhealthy and r.task.deployment_id == primary.id
        ]
        excess = len(mine) - primary.desired_count
        if excess <= 0:
            return
        # Not-yet-healthy first (stopping them costs no capacity), then the newest:
        # long-running tasks have warm caches and a known track record.
        mine.sort(key=lambda r: (r.healthy, -order[r.arn]))
        healthy = state.healthy_count()
        reason = f"Scaling activity initiated by (deployment {primary.id})"
        for r in mine:
            if excess == 0:
                break
            if r.healthy:
                if bounds.may_stop_healthy(healthy) <= 0:
                    break
                healthy -= 1
            self._lifecycle.begin_stop(r, reason, StopCode.SERVICE_SCHEDULER_INITIATED, now, batch)
            excess -= 1
