"""A service's deployments over time: created by UpdateService, counted, completed.

Every step ends here, whatever the strategy: the deployments' running and pending
counts are brought up to date, the PRIMARY completes once every live task is its own and
healthy, the service reports a steady state (once per settled state) or a configuration
stall (once, when nothing is in flight and the bounds allow neither a start nor a stop),
long-STOPPED tasks are forgotten, and the step's events are published.
"""

from __future__ import annotations

import uuid

from harness.ecs import events as ev
from harness.ecs.domain import (
    Deployment,
    DeploymentConfiguration,
    DeploymentStatus,
    RolloutState,
    ServiceEvent,
    TaskDefinitionSpec,
)
from harness.ecs.scheduler.batch import StepBatch
from harness.ecs.scheduler.service_state import ServiceState
from harness.ecs.scheduler.target_group_roles import promote

#: Service events kept (AWS's describe-services shows the latest 100).
MAX_EVENTS = 100


class DeploymentProgress:
    """Creates one service's deployments and follows them to an outcome."""

    def __init__(self, state: ServiceState, bus: ev.EventBus) -> None:
        self._state = state
        self._bus = bus

    # ------------------------------------------------------------------ commands

    def update(
        self,
        *,
        task_definition: TaskDefinitionSpec | None,
        desired_count: int | None,
        deployment_configuration: DeploymentConfiguration | None,
        health_check_grace_period_seconds: float | None,
        force_new_deployment: bool,
    ) -> None:
        """``UpdateService``: a new task definition or ``forceNewDeployment`` starts a new
        deployment; a desired count alone rescales the PRIMARY."""
        state = self._state
        now = state.clock.now()
        svc = state.service
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
            spec = task_definition or state.specs[svc.primary.task_definition]
            self.new_deployment(spec, now)
        state.forget_outcome()

    def new_deployment(self, spec: TaskDefinitionSpec, now: float) -> None:
        """A new PRIMARY for ``spec``; the previous PRIMARY keeps the tasks it has."""
        state = self._state
        service = state.service
        state.specs[spec.arn] = spec
        for d in service.deployments:
            if d.status is DeploymentStatus.PRIMARY:
                d.status = DeploymentStatus.ACTIVE
                d.desired_count = state.active_count(d)
                d.updated_at = now
        dep_id = state.ids.deployment_id()
        service.deployments.insert(
            0,
            Deployment(
                id=dep_id,
                status=DeploymentStatus.PRIMARY,
                task_definition=spec.arn,
                desired_count=service.desired_count,
                created_at=now,
                updated_at=now,
                rollout_state=RolloutState.IN_PROGRESS,
                rollout_state_reason=f"ECS deployment {dep_id} in progress.",
                launch_type=service.launch_type,
            ),
        )
        service.task_definition = spec.arn
        state.forget_outcome()

    # ------------------------------------------------------------------ end of a step

    def refresh_counts(self, now: float) -> None:
        """Running and pending counts of each deployment and of the service."""
        state = self._state
        svc = state.service
        svc.running_count = svc.pending_count = 0
        for d in svc.deployments:
            mine = [r for r in state.records.values() if r.task.deployment_id == d.id]
            pending = sum(1 for r in mine if r.active and r.starting)
            running = sum(1 for r in mine if r.running)
            if (pending, running) != (d.pending_count, d.running_count):
                d.pending_count, d.running_count, d.updated_at = pending, running, now
            svc.running_count += running
            svc.pending_count += pending

    def restore_completed(self, deployment_id: str, now: float) -> bool:
        """Journal replay: the PRIMARY ``deployment_id`` had COMPLETED before a restart.

        Replayed in journal order, a completion finds its deployment PRIMARY as it was
        then, and the older ones go as they went then, so a circuit breaker tripping
        after the restart has a COMPLETED deployment to roll back to. False (nothing
        changed) when ``deployment_id`` is not this service's PRIMARY.
        """
        primary = self._state.service.primary
        if primary.id != deployment_id:
            return False
        self.complete(primary, now)
        return True

    def complete(self, primary: Deployment, now: float) -> None:
        """The PRIMARY is COMPLETED; older deployments turn INACTIVE and leave the list."""
        primary.rollout_state = RolloutState.COMPLETED
        primary.rollout_state_reason = f"ECS deployment {primary.id} completed."
        primary.updated_at = now
        for d in self._state.old_deployments():
            d.status = DeploymentStatus.INACTIVE
            d.updated_at = now
        self._state.service.deployments = [primary]

    def check_outcome(self, now: float, batch: StepBatch) -> None:
        """Complete the deployment, report a steady state, or report a configuration stall."""
        state = self._state
        svc = state.service
        primary = svc.primary
        name = svc.service_name
        live = [r for r in state.records.values() if r.live]
        settled = len(live) == primary.desired_count and all(
            r.healthy and r.task.deployment_id == primary.id for r in live
        )
        if settled and primary.rollout_state is RolloutState.IN_PROGRESS:
            self._promote_target_groups(primary, now, batch)
            self.complete(primary, now)
            batch.event(ev.DeploymentCompleted(name, now, primary.id))
        if settled and not state.steady:
            state.steady = True
            batch.event(ev.SteadyState(name, now))
        elif not settled:
            state.steady = False
        if batch.actions:
            state.stall_reported = False
            return
        in_flight = any(not r.active or not (r.healthy or r.unhealthy) for r in live)
        if (
            primary.rollout_state is RolloutState.IN_PROGRESS
            and not settled
            and not in_flight
            and not state.strategy_waiting
            and not state.stall_reported
        ):
            state.stall_reported = True
            batch.event(ev.DeploymentConfigurationStall(name, now))

    def _promote_target_groups(self, primary: Deployment, now: float, batch: StepBatch) -> None:
        """A completed deployment that ran in the alternate groups makes them production
        (:mod:`.target_group_roles`); every other deployment is INACTIVE by now."""
        state = self._state
        groups = state.target_groups.pop(primary.id, None)
        state.target_groups.clear()
        if not groups:
            return
        svc = state.service
        promoted = promote(svc.load_balancers, groups)
        if promoted == svc.load_balancers:
            return
        svc.load_balancers = promoted
        production = tuple(lb.target_group_arn for lb in promoted if lb.advanced_configuration)
        batch.event(ev.TargetGroupRolesSwapped(svc.service_name, now, primary.id, production))

    def prune(self, now: float) -> None:
        """Forget tasks STOPPED longer than the retention, so a crash loop stays bounded."""
        state = self._state
        horizon = now - state.settings.time.wall(state.settings.stopped_task_retention)
        for arn in [
            arn
            for arn, r in state.records.items()
            if r.task.stopped_at is not None and r.task.stopped_at < horizon
        ]:
            del state.records[arn]

    def publish(self, batch: StepBatch) -> None:
        """Record the step's events on the service (newest first) and send them on the bus."""
        service = self._state.service
        for event in batch.events():
            record = ServiceEvent(id=str(uuid.uuid4()), created_at=event.at, message=event.message)
            service.events.insert(0, record)
            self._bus.publish(event)
        del service.events[MAX_EVENTS:]
