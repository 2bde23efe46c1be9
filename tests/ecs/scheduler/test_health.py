"""Container health checks (retries, startPeriod), grace period and load-balancer health."""

from __future__ import annotations

from harness.ecs.domain import (
    ContainerHealthCheck,
    DeploymentCircuitBreaker,
    DeploymentConfiguration,
    HealthStatus,
)
from harness.ecs.scheduler import DeregisterTarget, StartTask, StopTask, TargetHealthChanged
from harness.ecs.scheduler.health import ContainerHealthTracker
from harness.time_scale import TimeScale

HC = ContainerHealthCheck(
    command=("CMD", "true"), interval=10, timeout=5, retries=3, start_period=0
)


def test_tracker_needs_retries_consecutive_failures(make_td):
    tracker = ContainerHealthTracker.for_task_definition(make_td(1, health_check=HC))
    assert tracker.record("model", False, 50, TimeScale(1.0)) is HealthStatus.UNKNOWN
    assert tracker.record("model", False, 60, TimeScale(1.0)) is HealthStatus.UNKNOWN
    assert (
        tracker.record("model", True, 70, TimeScale(1.0)) is HealthStatus.HEALTHY
    )  # resets the count
    tracker.record("model", False, 80, TimeScale(1.0))
    tracker.record("model", False, 90, TimeScale(1.0))
    assert tracker.task_status is HealthStatus.HEALTHY
    assert tracker.record("model", False, 100, TimeScale(1.0)) is HealthStatus.UNHEALTHY


def test_failures_in_start_period_do_not_count(make_td):
    hc = ContainerHealthCheck(command=("CMD", "true"), retries=1, start_period=60)
    tracker = ContainerHealthTracker.for_task_definition(make_td(1, health_check=hc))
    assert tracker.record("model", False, 30, TimeScale(1.0)) is HealthStatus.UNKNOWN
    # the start period scales with the time scale too: 60 s x 0.1 = 6 s
    assert tracker.record("model", False, 30, TimeScale(0.1)) is HealthStatus.UNHEALTHY


def test_task_becomes_healthy_on_first_passing_check(make_world, make_td, is_stable):
    w = make_world(desired=2, task_definition=make_td(1, health_check=HC))
    elapsed = w.run_until_stable()
    assert is_stable(w)
    assert elapsed == 5 + 10  # start latency + one interval
    assert all(t.health_status is HealthStatus.HEALTHY for t in w.live())


def test_failing_container_check_stops_and_replaces_task(make_world, make_td, behaviour):
    spec = make_td(1, health_check=HC)
    calls = {"n": 0}

    def flaky(_since: float) -> bool:
        calls["n"] += 1
        return calls["n"] > 3  # the first task fails its first three checks

    w = make_world(
        desired=1, task_definition=spec, behaviours={spec.arn: behaviour(check_passes=flaky)}
    )
    w.run_until_stable()
    stopped = [t for t in w.scheduler.tasks if t.stopped_reason]
    assert len(stopped) == 1
    assert stopped[0].stopped_reason == "Task failed container health checks"
    assert stopped[0].stop_code.value == "ServiceSchedulerInitiated"
    assert any(
        m.endswith(f"(task {stopped[0].task_id}) failed container health checks.")
        for m in w.messages()
    )


def test_grace_period_ignores_failures_then_acts_when_it_ends(make_world, make_td, behaviour):
    hc = ContainerHealthCheck(command=("CMD", "true"), interval=10, retries=1)
    spec = make_td(1, health_check=hc)
    w = make_world(
        desired=1,
        task_definition=spec,
        grace=60,
        behaviours={spec.arn: behaviour(check_passes=lambda s: s >= 100)},
    )
    w.run(lambda w: sum(isinstance(a, StartTask) for _, a in w.actions) == 2, max_time=600)
    task = w.scheduler.tasks[0]
    # unhealthy at the first check (t+10) but only acted upon (a replacement is started)
    # when the grace period ended
    assert w.now == task.started_at + 60
    assert task.health_status is HealthStatus.UNHEALTHY


def test_grace_period_lets_a_slow_starter_pass(make_world, make_td, behaviour, is_stable):
    hc = ContainerHealthCheck(command=("CMD", "true"), interval=10, retries=1)
    spec = make_td(1, health_check=hc)
    w = make_world(
        desired=1,
        task_definition=spec,
        grace=60,
        behaviours={spec.arn: behaviour(check_passes=lambda s: s >= 35)},
    )
    w.run_until_stable()
    assert is_stable(w)
    assert len(w.scheduler.tasks) == 1


def test_lb_unhealthy_target_is_replaced_first(make_world, is_stable):
    """With room under maximumPercent the replacement starts before the unhealthy task
    is stopped; the unhealthy task keeps its slot (the ALB may be failing open to it)."""
    w = make_world(desired=2, load_balanced=True)
    w.run_until_stable()
    tg = w.service.load_balancers[0].target_group_arn
    first, second = w.live()
    actions = w.step(
        [
            TargetHealthChanged(first.task_arn, tg, False),
            TargetHealthChanged(second.task_arn, tg, False),
        ]
    )
    assert sum(isinstance(a, StartTask) for a in actions) == 2
    assert not any(isinstance(a, StopTask | DeregisterTarget) for a in actions)
    assert w.messages()[-3].endswith(
        f"(task {first.task_id}) (port 8080) is unhealthy in (target-group {tg}) "
        "due to (reason Health checks failed)."
    )
    w.run_until_stable()
    assert is_stable(w)
    assert first.stopped_reason == f"Task failed ELB health checks in (target-group {tg})"
    assert {t.task_arn for t in w.live()}.isdisjoint({first.task_arn, second.task_arn})


def test_lb_unhealthy_without_room_stops_one_at_a_time(make_world, is_stable):
    config = DeploymentConfiguration(maximum_percent=100, minimum_healthy_percent=0)
    w = make_world(desired=2, load_balanced=True, config=config)
    w.run_until_stable()
    tg = w.service.load_balancers[0].target_group_arn
    first, second = w.live()
    actions = w.step(
        [
            TargetHealthChanged(first.task_arn, tg, False),
            TargetHealthChanged(second.task_arn, tg, False),
        ]
    )
    assert [type(a) for a in actions] == [DeregisterTarget]
    w.run_until_stable()
    assert is_stable(w)


def test_unhealthy_in_steady_state_does_not_trip_breaker(make_world):
    config = DeploymentConfiguration(
        deployment_circuit_breaker=DeploymentCircuitBreaker(enable=True, rollback=True)
    )
    w = make_world(desired=1, load_balanced=True, config=config)
    w.run_until_stable()
    tg = w.service.load_balancers[0].target_group_arn
    w.step([TargetHealthChanged(w.live()[0].task_arn, tg, False)])
    assert w.service.primary.failed_tasks == 0
