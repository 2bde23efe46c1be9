"""Rolling replacement, draining, scaling and replacement of dead tasks."""

from __future__ import annotations

from harness.ecs.domain import DeploymentConfiguration, DeploymentStatus, RolloutState
from harness.ecs.scheduler import DeregisterTarget, RegisterTarget, StartTask, StopTask
from harness.time_scale import TimeScale

STALL = (
    "(service model-svc) was unable to stop or start tasks during a deployment because of "
    "the service deployment configuration. Update the minimumHealthyPercent or "
    "maximumPercent value and try again."
)


def cfg(min_healthy: int, maximum: int) -> DeploymentConfiguration:
    return DeploymentConfiguration(maximum_percent=maximum, minimum_healthy_percent=min_healthy)


def test_create_service_starts_desired_tasks_and_reaches_steady_state(make_world, is_stable):
    w = make_world(desired=2)
    first = w.step()
    assert [type(a) for a in first] == [StartTask, StartTask]
    w.run_until_stable()
    assert is_stable(w)
    dep = w.service.primary
    assert dep.id.startswith("ecs-svc/") and len(dep.id) == len("ecs-svc/") + 19
    assert dep.rollout_state is RolloutState.COMPLETED
    assert dep.rollout_state_reason == f"ECS deployment {dep.id} completed."
    assert w.service.running_count == 2 and dep.running_count == 2
    msgs = w.messages()
    assert msgs[0].startswith("(service model-svc) has started 2 tasks: (task ")
    assert msgs[-2:] == [
        f"(service model-svc) (deployment {dep.id}) deployment completed.",
        "(service model-svc) has reached a steady state.",
    ]
    # events on the service are newest first
    assert w.service.events[0].message == "(service model-svc) has reached a steady state."


def test_healthy_40s_after_running_without_any_health_check(make_world):
    w = make_world(desired=1)
    w.run(lambda w: bool(w.live()) and w.live()[0].started_at is not None)
    started = w.live()[0].started_at
    assert w.scheduler.next_wakeup() == started + 40
    w.run_until_stable()
    assert w.now == started + 40


def test_time_scale_compresses_the_40_seconds(make_world):
    from harness.ecs.scheduler import SchedulerSettings

    w = make_world(desired=1, settings=SchedulerSettings(time=TimeScale(0.1)))
    w.run(lambda w: bool(w.live()) and w.live()[0].started_at is not None)
    assert w.scheduler.next_wakeup() == w.live()[0].started_at + 4.0


def _rolling(make_world, config, desired=4, **kw):
    w = make_world(desired=desired, config=config, **kw)
    w.run_until_stable()
    old = {t.task_arn for t in w.live()}
    w.update(task_definition=w.td2)
    return w, old


def _world_with_td2(make_world, make_td):
    def factory(**kw):
        w = make_world(**kw)
        w.td2 = make_td(2)
        return w

    return factory


def _peak(w, after: float) -> int:
    """Most tasks alive at once (by the scheduler's accounting) after a time."""
    return max((n for t, n in w.occupancy if t >= after), default=0)


def _track_occupancy(w):
    w.occupancy = []
    w.hooks.append(lambda _a: w.occupancy.append((w.now, w.scheduler.occupied_count())))
    w.min_healthy_seen = []
    w.hooks.append(lambda _a: w.min_healthy_seen.append((w.now, w.scheduler.healthy_count())))


def test_rolling_100_200_starts_all_new_then_stops_old(make_world, make_td, is_stable):
    w, old = _rolling(_world_with_td2(make_world, make_td), cfg(100, 200), load_balanced=True)
    _track_occupancy(w)
    t0 = w.now
    w.run_until_stable()
    assert is_stable(w)
    assert {t.task_arn for t in w.live()}.isdisjoint(old)
    assert all(t.task_definition_arn.endswith(":2") for t in w.live())
    assert _peak(w, t0) == 8
    assert min(h for _, h in w.min_healthy_seen) >= 4


def test_rolling_50_100_replaces_two_at_a_time(make_world, make_td, is_stable):
    w, _ = _rolling(_world_with_td2(make_world, make_td), cfg(50, 100), load_balanced=True)
    _track_occupancy(w)
    first = w.step()
    assert sum(isinstance(a, DeregisterTarget) for a in first) == 2
    assert not any(isinstance(a, StartTask) for a in first)
    w.run_until_stable()
    assert is_stable(w)
    assert _peak(w, 0) <= 4
    assert min(h for _, h in w.min_healthy_seen) >= 2


def test_rolling_0_100_stops_everything_first(make_world, make_td, is_stable):
    w, _ = _rolling(_world_with_td2(make_world, make_td), cfg(0, 100))
    first = w.step()
    assert sum(isinstance(a, StopTask) for a in first) == 4
    assert not any(isinstance(a, StartTask) for a in first)
    w.run_until_stable()
    assert is_stable(w)


def test_rolling_100_100_stalls_with_one_event(make_world, make_td):
    w, old = _rolling(_world_with_td2(make_world, make_td), cfg(100, 100))
    w.run(max_time=600)
    assert w.messages().count(STALL) == 1
    assert {t.task_arn for t in w.live()} == old
    assert w.service.primary.rollout_state is RolloutState.IN_PROGRESS
    # a later observation-free step does not repeat it
    w.step()
    assert w.messages().count(STALL) == 1
    # fixing the configuration lets the deployment proceed
    w.update(deployment_configuration=cfg(50, 100))
    w.run_until_stable()
    assert all(t.task_definition_arn.endswith(":2") for t in w.live())


def test_draining_deregisters_then_stops_after_delay(make_world, make_td):
    w, _ = _rolling(
        _world_with_td2(make_world, make_td),
        cfg(50, 100),
        load_balanced=True,
        deregistration_delay=300,
    )
    w.run(lambda w: any(isinstance(a, StopTask) for _, a in w.actions), max_time=3600)
    deregs = [t for t, a in w.actions if isinstance(a, DeregisterTarget)]
    stops = [t for t, a in w.actions if isinstance(a, StopTask)]
    assert stops[0] - deregs[0] == 300
    msgs = w.messages()
    assert "(service model-svc) has begun draining connections on 2 tasks." in msgs
    assert (
        "(service model-svc) deregistered 2 targets in (target-group "
        "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/model/"
        "0123456789abcdef)"
    ) in msgs
    assert any(
        m.startswith("(service model-svc) has stopped 1 running tasks: (task ") for m in msgs
    )
    states = sorted(
        t.last_status.value for t in w.scheduler.tasks if t.desired_status.value == "STOPPED"
    )
    assert states == ["DEACTIVATING", "STOPPING"]


def test_targets_registered_when_running(make_world):
    w = make_world(desired=1, load_balanced=True)
    w.run_until_stable()
    assert sum(isinstance(a, RegisterTarget) for _, a in w.actions) == 1
    assert any(
        m.startswith("(service model-svc) registered 1 targets in (target-group ")
        for m in w.messages()
    )


def test_old_deployment_is_removed_on_completion(make_world, make_td):
    w, _ = _rolling(_world_with_td2(make_world, make_td), cfg(100, 200))
    w.step()
    assert [d.status for d in w.service.deployments] == [
        DeploymentStatus.PRIMARY,
        DeploymentStatus.ACTIVE,
    ]
    old = w.service.deployments[1]
    w.run_until_stable()
    assert w.service.deployments == [w.service.primary]
    assert old.status is DeploymentStatus.INACTIVE


def test_killed_task_is_replaced_from_its_deployment(make_world, is_stable):
    w = make_world(desired=3)
    w.run_until_stable()
    victim = w.live()[0]
    actions = w.kill(victim.task_arn)
    started = [a for a in actions if isinstance(a, StartTask)]
    assert len(started) == 1
    assert started[0].task.deployment_id == victim.deployment_id
    assert victim.stop_code.value == "EssentialContainerExited"
    w.run_until_stable()
    assert is_stable(w)
    assert w.messages()[-1] == "(service model-svc) has reached a steady state."


def test_scale_up_and_down(make_world, is_stable):
    w = make_world(desired=2)
    w.run_until_stable()
    first = [t.task_arn for t in w.live()]
    w.update(desired_count=5)
    assert sum(isinstance(a, StartTask) for a in w.step()) == 3
    w.run_until_stable()
    assert len(w.live()) == 5 and len(w.service.deployments) == 1
    w.update(desired_count=1)
    stops = [a for a in w.step() if isinstance(a, StopTask)]
    assert len(stops) == 4
    w.run_until_stable()
    assert is_stable(w)
    # scale-in stops the newest tasks first: the oldest survives
    assert [t.task_arn for t in w.live()] == first[:1]


def test_force_new_deployment_uses_same_task_definition(make_world, is_stable):
    w = make_world(desired=2)
    w.run_until_stable()
    before = w.service.primary.id
    w.update(force_new_deployment=True)
    assert w.service.primary.id != before
    assert w.service.primary.task_definition == w.service.deployments[1].task_definition
    w.run_until_stable()
    assert is_stable(w)


def test_user_stop_is_replaced(make_world, is_stable):
    from harness.ecs.scheduler import StopRequested

    w = make_world(desired=2)
    w.run_until_stable()
    victim = w.live()[0]
    actions = w.step([StopRequested(victim.task_arn)])
    assert any(isinstance(a, StartTask) for a in actions)
    assert victim.stop_code.value == "UserInitiated"
    w.run_until_stable()
    assert is_stable(w)


def test_events_keep_newest_100(make_world):
    w = make_world(desired=1)
    w.run_until_stable()
    for _ in range(60):
        w.kill(w.live()[0].task_arn)
        w.run_until_stable()
    assert len(w.service.events) == 100
    assert w.service.events[0].created_at >= w.service.events[-1].created_at


def test_scale_to_zero_stops_everything_and_is_steady(make_world):
    w = make_world(desired=2, load_balanced=True, deregistration_delay=10)
    w.run_until_stable()
    w.update(desired_count=0)
    w.run(max_time=600)
    assert w.live() == []
    assert w.scheduler.occupied_count() == 0
    assert w.messages()[-1] == "(service model-svc) has reached a steady state."


def test_stopped_tasks_are_forgotten_after_retention(make_world, make_td, behaviour):
    from harness.ecs.scheduler import SchedulerSettings

    v1 = make_td(1)
    w = make_world(
        desired=1,
        behaviours={v1.arn: behaviour(fail_to_start=True)},
        settings=SchedulerSettings(stopped_task_retention=60),
    )
    w.run(max_time=1000)
    assert 0 < len(w.scheduler.tasks) <= 60 / 5 + 2


def test_event_bus_isolates_a_broken_subscriber():
    from harness.ecs.events import EventBus, SteadyState

    bus, seen = EventBus(), []
    bus.subscribe(lambda e: 1 / 0)
    unsubscribe = bus.subscribe(seen.append)
    bus.publish(SteadyState("svc", 0.0))
    assert len(seen) == 1 and isinstance(bus.errors[0], ZeroDivisionError)
    unsubscribe()
    bus.publish(SteadyState("svc", 1.0))
    assert len(seen) == 1


def test_dispatch_routes_actions_to_ports(make_world):
    from harness.ecs.scheduler import dispatch

    calls = []

    class Port:
        def __getattr__(self, name):
            return lambda action: calls.append((name, type(action).__name__))

    w = make_world(desired=1)
    dispatch(w.scheduler.step(), Port(), Port())
    assert calls == [("start_task", "StartTask")]
