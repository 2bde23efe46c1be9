"""What ends a deployment early, whatever its strategy: alarms and StopServiceDeployment.

* ``deploymentConfiguration.alarms`` enabled: an alarm of the list in ALARM while the
  deployment is in progress (its bake time included) fails it -- rolled back with
  ``rollback``, stopped where it is without.
* ``StopServiceDeployment`` ROLLBACK rolls back (even without a rollback option
  configured); ABORT stops the deployment where it is: nothing more is started, stopped
  or shifted, the service keeps the tasks (and traffic weights) it has.

The ROLLING strategy acts on them here (:func:`guard_rolling`); the traffic-shifting
strategies use the same verdicts and add moving traffic back.
"""

from __future__ import annotations

from harness.ecs.domain import Deployment, RolloutState, ServiceDeploymentStatus, StopType
from harness.ecs.scheduler.batch import StepBatch
from harness.ecs.scheduler.rollback import Rollback, stopped
from harness.ecs.scheduler.service_state import ServiceState

STOPPED_BY_USER = "Service deployment stopped by StopServiceDeployment (ABORT)."
ROLLED_BACK_BY_USER = "Service deployment rolled back by StopServiceDeployment (ROLLBACK)."
ROLLING_BACK_TO = "Service deployment rolling back to deploymentId {target}."


def triggered_alarms(state: ServiceState) -> tuple[str, ...]:
    """The service's deployment alarms in ALARM now; () when alarms are not enabled."""
    alarms = state.service.deployment_configuration.alarms
    if not alarms.enable:
        return ()
    return tuple(name for name in alarms.alarm_names if name in state.inbox.alarms_in_alarm)


def in_progress(dep: Deployment) -> bool:
    """The deployment's own rollout is under way (not a rollback restoring it)."""
    return dep.lifecycle.status in (
        ServiceDeploymentStatus.PENDING,
        ServiceDeploymentStatus.IN_PROGRESS,
        ServiceDeploymentStatus.STOP_REQUESTED,
        ServiceDeploymentStatus.ROLLBACK_REQUESTED,
    )


def alarm_reason(names: tuple[str, ...]) -> str:
    return f"CloudWatch alarm(s) {', '.join(names)} in ALARM during the deployment."


def abort(dep: Deployment, reason: str, now: float) -> None:
    """The deployment fails and stops where it is (the scheduler freezes it)."""
    dep.rollout_state = RolloutState.FAILED
    dep.rollout_state_reason = reason
    dep.updated_at = now
    stopped(dep, reason, now)


def note_alarms(dep: Deployment, names: tuple[str, ...]) -> None:
    """Keep ``alarms.triggeredAlarmNames`` of the deployment (each name once)."""
    seen = dep.lifecycle.triggered_alarm_names
    dep.lifecycle.triggered_alarm_names = seen + tuple(n for n in names if n not in seen)


def guard_rolling(state: ServiceState, rollback: Rollback, now: float, batch: StepBatch) -> None:
    """Apply a stop request and the alarms to a ROLLING PRIMARY in progress."""
    primary = state.service.primary
    stop, state.inbox.stop = state.inbox.stop, None
    if primary.rollout_state is not RolloutState.IN_PROGRESS or not in_progress(primary):
        return  # settled, or a revision being restored by a rollback: nothing to end
    if stop is StopType.ABORT:
        abort(primary, STOPPED_BY_USER, now)
        return
    if stop is StopType.ROLLBACK:
        rollback.revert(primary, ROLLED_BACK_BY_USER, ROLLING_BACK_TO, now, batch)
        return
    names = triggered_alarms(state)
    if not names:
        return
    note_alarms(primary, names)
    reason = alarm_reason(names)
    if state.service.deployment_configuration.alarms.rollback:
        rollback.revert(primary, reason, ROLLING_BACK_TO, now, batch)
    else:
        abort(primary, reason, now)
