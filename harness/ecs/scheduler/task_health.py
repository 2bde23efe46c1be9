"""Judging each running task's health every step, whatever the deployment strategy.

The verdict itself is the pure rule in :mod:`.health`; this module feeds it what one
service knows about a task (its container checks, its targets, the grace period), records
first-time healthy tasks for the circuit breaker, reports a task turning unhealthy once,
and says when a verdict will change with time alone (:func:`next_wakeup`), so the driver
needs no polling.
"""

from __future__ import annotations

from harness.ecs import events as ev
from harness.ecs.domain import HealthStatus
from harness.ecs.scheduler import circuit_breaker
from harness.ecs.scheduler.batch import StepBatch
from harness.ecs.scheduler.health import HealthInputs, TargetState, Verdict, verdict
from harness.ecs.scheduler.records import TaskRecord
from harness.ecs.scheduler.service_state import ServiceState


def judge(state: ServiceState, now: float, batch: StepBatch) -> None:
    """Give every task its verdict for this step; only active RUNNING tasks are judged."""
    service = state.service
    name = service.service_name
    for r in state.records.values():
        if not (r.active and r.running) or r.task.started_at is None:
            r.verdict = Verdict.WAITING
            continue
        r.verdict = verdict(health_inputs(state, r, now))
        if r.verdict is Verdict.HEALTHY:
            r.unhealthy_reported = False  # a later failure is reported again
        if r.verdict is Verdict.HEALTHY and not r.ever_healthy:
            r.ever_healthy = True
            dep = state.deployment(r.task.deployment_id)
            if dep is not None:
                circuit_breaker.record_success(dep)
        if r.verdict is Verdict.UNHEALTHY and not r.unhealthy_reported:
            r.unhealthy_reported = True
            tg = failing_target(r)
            if tg is not None:
                lb = state.load_balancer_of(tg)
                port = lb.container_port if lb is not None else 0
                batch.event(ev.TargetUnhealthy(name, now, r.task.task_id, port, tg))
            else:
                batch.event(ev.TaskFailedContainerHealthChecks(name, now, r.task.task_id))


def next_wakeup(state: ServiceState) -> float | None:
    """When a time-based decision is next due (epoch s), None when nothing is timed.

    Only two verdicts change with time alone: a task without any health check counts
    healthy 40 s (scaled) after RUNNING, and a failing signal is acted on once the grace
    period ends.
    """
    times: list[float] = []
    for r in state.records.values():
        if not (r.active and r.running) or r.task.started_at is None:
            continue
        inputs = health_inputs(state, r, r.task.started_at)
        if r.verdict is not Verdict.WAITING:
            continue
        if not inputs.has_container_checks and not inputs.has_load_balancer:
            times.append(r.task.started_at + inputs.no_check_ready_after)
        elif failing(r):
            times.append(r.task.started_at + inputs.grace_period)
    return min(times) if times else None


def health_inputs(state: ServiceState, r: TaskRecord, now: float) -> HealthInputs:
    """What :func:`.health.verdict` needs to know about ``r`` at ``now``."""
    settings, service = state.settings, state.service
    started = r.task.started_at if r.task.started_at is not None else now
    return HealthInputs(
        seconds_running=now - started,
        container_status=r.container_health.task_status,
        has_container_checks=r.container_health.has_checks,
        target_states=tuple(r.targets.values()),
        has_load_balancer=bool(service.load_balancers),
        grace_period=settings.time.wall(service.health_check_grace_period_seconds),
        no_check_ready_after=settings.time.wall(settings.no_health_check_ready_after),
    )


def failing(r: TaskRecord) -> bool:
    """A container check or a target group says unhealthy (the grace period may still hold)."""
    return (
        r.container_health.task_status is HealthStatus.UNHEALTHY
        or TargetState.UNHEALTHY in r.targets.values()
    )


def failing_target(r: TaskRecord) -> str | None:
    """The first target group that judged the task unhealthy, None for container checks."""
    return next((tg for tg, s in r.targets.items() if s is TargetState.UNHEALTHY), None)
