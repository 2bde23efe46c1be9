"""BLUE_GREEN, LINEAR and CANARY deployments that succeed: stages, weights, bake times.

Each test deploys revision 1 (a first deployment, nothing to shift from), then revision
2 through the strategy, in simulated time (tests.ecs.conftest.World): health checks
every 30 s, a 300 s deregistration delay, Lambda hooks answering after 2 s.
"""

from __future__ import annotations

import itertools

import pytest

from harness.ecs import events as ev
from harness.ecs.domain import (
    CanaryConfiguration,
    DeploymentConfiguration,
    DeploymentStrategy,
    HookStatus,
    HookTargetType,
    LifecycleHook,
    LifecycleStage,
    LinearConfiguration,
    RolloutState,
    ServiceDeploymentStatus,
)
from harness.ecs.scheduler import DeregisterTarget, SchedulerSettings, StartTask, StopTask
from harness.ecs.scheduler.traffic_steps import TrafficStep, traffic_steps
from harness.time_scale import TimeScale
from tests.ecs.conftest import stable, td
from tests.ecs.scheduler.strategy_world import (
    BLUE_TG,
    GREEN_TG,
    LAMBDA,
    PROD_RULE,
    TEST_RULE,
    StrategyWorld,
)

S = LifecycleStage
HOOKABLE = (
    S.RECONCILE_SERVICE,
    S.PRE_SCALE_UP,
    S.POST_SCALE_UP,
    S.TEST_TRAFFIC_SHIFT,
    S.POST_TEST_TRAFFIC_SHIFT,
    S.PRE_PRODUCTION_TRAFFIC_SHIFT,
    S.PRODUCTION_TRAFFIC_SHIFT,
    S.POST_PRODUCTION_TRAFFIC_SHIFT,
)
RECORDER = LAMBDA.format(name="recorder")


def succeed(_payload: dict[str, object]) -> tuple[HookStatus, float | None]:
    return HookStatus.SUCCEEDED, None


def recorder_hook() -> LifecycleHook:
    return LifecycleHook(HookTargetType.AWS_LAMBDA, HOOKABLE, hook_target_arn=RECORDER)


def world(strategy: DeploymentStrategy, **config: object) -> StrategyWorld:
    w = StrategyWorld(
        strategy,
        config=DeploymentConfiguration(**config),  # type: ignore[arg-type]
        desired=2,
        functions={RECORDER: succeed},
    )
    w.deploy_first()
    return w


def shift_times(w: StrategyWorld, since: float) -> list[tuple[float, int]]:
    return [(t - since, weights[GREEN_TG]) for t, weights in w.production_shifts() if t >= since]


# ---------------------------------------------------------------------------- steps


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (DeploymentConfiguration(strategy=DeploymentStrategy.BLUE_GREEN), [(100, 0.0)]),
        (
            DeploymentConfiguration(
                strategy=DeploymentStrategy.LINEAR,
                linear_configuration=LinearConfiguration(
                    step_percent=30, step_bake_time_in_minutes=2
                ),
            ),
            [(30, 120.0), (60, 120.0), (90, 120.0), (100, 0.0)],
        ),
        (  # AWS's defaults: 10 % per step, 6 minutes between steps
            DeploymentConfiguration(strategy=DeploymentStrategy.LINEAR),
            [(10 * i, 360.0) for i in range(1, 10)] + [(100, 0.0)],
        ),
        (  # AWS's defaults: 5 % for 10 minutes
            DeploymentConfiguration(strategy=DeploymentStrategy.CANARY),
            [(5, 600.0), (100, 0.0)],
        ),
        (  # a 0.1 % canary still gets weight 1; the rest is blue's
            DeploymentConfiguration(
                strategy=DeploymentStrategy.CANARY,
                canary_configuration=CanaryConfiguration(
                    canary_percent=0.1, canary_bake_time_in_minutes=0
                ),
            ),
            [(1, 0.0), (100, 0.0)],
        ),
        (  # 33.3 % steps: rounded weights, never 100 before the last step
            DeploymentConfiguration(
                strategy=DeploymentStrategy.LINEAR,
                linear_configuration=LinearConfiguration(
                    step_percent=33.3, step_bake_time_in_minutes=0
                ),
            ),
            [(33, 0.0), (67, 0.0), (99, 0.0), (100, 0.0)],
        ),
    ],
)
def test_traffic_steps_per_strategy(config, expected) -> None:
    assert traffic_steps(config) == tuple(TrafficStep(w, b) for w, b in expected)


# ---------------------------------------------------------------------------- whole runs


def test_blue_green_runs_every_stage_in_order_and_bakes_before_clean_up() -> None:
    w = world(
        DeploymentStrategy.BLUE_GREEN, bake_time_in_minutes=3, lifecycle_hooks=(recorder_hook(),)
    )
    blue = w.service.primary
    blue_tasks = {t.task_arn for t in w.live()}
    t0 = w.now
    w.deploy_green()

    green = w.service.primary
    assert green is not blue and stable(w)
    # hooks ran at each hookable stage, in AWS's order (RECONCILE_SERVICE: only with
    # more than one revision running, which is not the case here)
    assert [a.stage for _, a in w.invocations] == list(HOOKABLE[1:])
    # the green fleet went into the alternate target group, never the blue one
    assert w.registered_groups(2) == {GREEN_TG}
    # traffic: test rule to green first, then production at once
    assert w.rules[TEST_RULE] == {BLUE_TG: 0, GREEN_TG: 100}
    assert [weights for _, _, weights in w.shifts] == [
        {BLUE_TG: 100, GREEN_TG: 0},  # RECONCILE_SERVICE: production all blue
        {BLUE_TG: 0, GREEN_TG: 100},  # TEST_TRAFFIC_SHIFT (test rule)
        {BLUE_TG: 0, GREEN_TG: 100},  # PRODUCTION_TRAFFIC_SHIFT
    ]
    assert [rule for _, rule, _ in w.shifts] == [PROD_RULE, TEST_RULE, PROD_RULE]
    # blue is drained only after the 3-minute bake time that follows the shift (and its
    # POST_PRODUCTION_TRAFFIC_SHIFT hook, answered 2 s after it was invoked)
    shifted_at = w.production_shifts()[-1][0]
    post_production_done = w.invocations[-1][0] + 2
    assert w.first_time(DeregisterTarget, 1) == post_production_done + 180
    assert all(
        at >= shifted_at + 180
        for at, a in w.actions
        if isinstance(a, StopTask) and a.task_arn in blue_tasks
    )
    assert not any(t.task_arn in blue_tasks for t in w.live())
    life = green.lifecycle
    assert life.status is ServiceDeploymentStatus.SUCCESSFUL
    assert life.stage is S.CLEAN_UP
    assert life.production_traffic_weight == 100 and life.test_traffic_weight == 100
    assert life.source_deployment_ids == (blue.id,)
    assert life.finished_at == w.now and life.started_at == t0
    assert [h.status for h in life.hooks] == [HookStatus.SUCCEEDED] * 7
    assert green.rollout_state is RolloutState.COMPLETED
    assert w.messages()[-2:] == [
        f"(service model-svc) (deployment {green.id}) deployment completed.",
        "(service model-svc) has reached a steady state.",
    ]


def test_linear_shifts_step_percent_with_step_bake_time_between_steps() -> None:
    w = world(
        DeploymentStrategy.LINEAR,
        bake_time_in_minutes=2,
        linear_configuration=LinearConfiguration(step_percent=25, step_bake_time_in_minutes=1),
    )
    t0 = w.now
    w.deploy_green()
    shifts = shift_times(w, t0)
    assert [weight for _, weight in shifts] == [0, 25, 50, 75, 100]
    # 60 s between production steps, none after 100 %
    assert [b[0] - a[0] for a, b in itertools.pairwise(shifts[1:])] == [60, 60, 60]
    assert w.first_time(DeregisterTarget, 1) == t0 + shifts[-1][0] + 120
    assert w.service.primary.lifecycle.status is ServiceDeploymentStatus.SUCCESSFUL


def test_canary_shifts_the_canary_then_the_rest_after_its_bake_time() -> None:
    w = world(
        DeploymentStrategy.CANARY,
        bake_time_in_minutes=1,
        canary_configuration=CanaryConfiguration(canary_percent=10, canary_bake_time_in_minutes=4),
        lifecycle_hooks=(recorder_hook(),),
    )
    blue = w.service.primary
    t0 = w.now
    w.deploy_green()
    shifts = shift_times(w, t0)
    assert [weight for _, weight in shifts] == [0, 10, 100]
    # between the two shifts: the canary step's PRODUCTION and POST_PRODUCTION hooks
    # (2 s each), 4 minutes of canary bake, then the next step's PRE_PRODUCTION hook
    assert shifts[2][0] - shifts[1][0] == pytest.approx(2 + 2 + 240 + 2)
    # the production-shift stages ran once per step
    stages = [a.stage for _, a in w.invocations]
    assert stages.count(S.PRE_PRODUCTION_TRAFFIC_SHIFT) == 2
    assert stages.count(S.PRODUCTION_TRAFFIC_SHIFT) == 2
    assert stages.count(S.POST_PRODUCTION_TRAFFIC_SHIFT) == 2
    # the hook payload carried the weights of the moment, by target group
    canary_post = next(a for _, a in w.invocations if a.stage is S.POST_PRODUCTION_TRAFFIC_SHIFT)
    details = canary_post.payload["executionDetails"]
    revisions = "arn:aws:ecs:us-east-1:000000000000:service-revision/drydock/model-svc/"
    green_rev = revisions + w.service.primary.id.split("/")[1]
    blue_rev = revisions + blue.id.split("/")[1]
    assert details["targetServiceRevisionArn"] == green_rev
    # weights by service revision, as the production and test rules stood
    assert details["productionTrafficWeights"] == {blue_rev: 90, green_rev: 10}
    assert details["testTrafficWeights"] == {blue_rev: 0, green_rev: 100}
    assert details["serviceArn"] == w.service.service_arn
    assert canary_post.payload["lifecycleStage"] == "POST_PRODUCTION_TRAFFIC_SHIFT"
    assert canary_post.payload["resourceArn"] == (
        "arn:aws:ecs:us-east-1:000000000000:service-deployment/drydock/model-svc/"
        + w.service.primary.id.split("/")[1]
    )


def test_the_next_deployment_goes_into_the_other_target_group() -> None:
    w = world(DeploymentStrategy.BLUE_GREEN, bake_time_in_minutes=0)
    w.deploy_green()
    w.update(task_definition=td(3))
    w.run_until_stable()
    assert w.registered_groups(3) == {BLUE_TG}
    assert w.rules[PROD_RULE] == {GREEN_TG: 0, BLUE_TG: 100}
    assert w.service.primary.task_definition.endswith(":3")


def test_without_a_test_listener_rule_only_production_shifts() -> None:
    w = StrategyWorld(
        DeploymentStrategy.BLUE_GREEN,
        config=DeploymentConfiguration(bake_time_in_minutes=0),
        desired=1,
        test_rule=False,
    )
    w.deploy_first()
    w.deploy_green()
    assert {rule for _, rule, _ in w.shifts} == {PROD_RULE}
    assert w.service.primary.lifecycle.test_traffic_weight == 0


def test_bake_and_step_times_follow_the_time_scale() -> None:
    w = StrategyWorld(
        DeploymentStrategy.LINEAR,
        config=DeploymentConfiguration(
            bake_time_in_minutes=10,
            linear_configuration=LinearConfiguration(step_percent=50, step_bake_time_in_minutes=2),
        ),
        desired=1,
        settings=SchedulerSettings(time=TimeScale(0.1)),
    )
    w.deploy_first()
    t0 = w.now
    w.deploy_green()
    shifts = shift_times(w, t0)
    assert shifts[2][0] - shifts[1][0] == pytest.approx(12.0)  # 2 min x 0.1
    assert w.first_time(DeregisterTarget, 1) == pytest.approx(
        t0 + shifts[2][0] + 60.0
    )  # 10 min x 0.1


def test_the_scheduler_announces_the_end_of_bake_time() -> None:
    w = world(DeploymentStrategy.BLUE_GREEN, bake_time_in_minutes=5)
    w.deploy_green(until=lambda _: w.green_weight() == 100)
    assert w.service.primary.lifecycle.stage is S.BAKE_TIME
    assert w.scheduler.next_wakeup() == pytest.approx(w.production_shifts()[-1][0] + 300)


def test_a_bake_time_is_no_configuration_stall() -> None:
    w = world(DeploymentStrategy.BLUE_GREEN, bake_time_in_minutes=5)
    w.deploy_green()
    assert not any("unable to stop or start tasks" in m for m in w.messages())


def test_a_green_task_failing_its_health_checks_is_replaced_within_green() -> None:
    w = world(DeploymentStrategy.BLUE_GREEN, bake_time_in_minutes=1)
    first_green: list[str] = []

    def kill_one_green(actions) -> None:
        if first_green or not any(isinstance(a, StartTask) for a in actions):
            return
        starts = [a.task.task_arn for a in actions if isinstance(a, StartTask)]
        if w.service.primary.task_definition.endswith(":2"):
            first_green.append(starts[0])

    w.hooks.append(kill_one_green)
    w.deploy_green(until=lambda _: bool(first_green) and bool(w.running(2)))
    w.kill(first_green[0])
    w.run_until_stable()
    assert w.registered_groups(2) == {GREEN_TG}
    assert (
        len(w.live(2)) == 2
        and w.service.primary.lifecycle.status is ServiceDeploymentStatus.SUCCESSFUL
    )


def test_stages_and_traffic_steps_are_published_as_service_events() -> None:
    w = world(
        DeploymentStrategy.CANARY,
        bake_time_in_minutes=1,
        canary_configuration=CanaryConfiguration(canary_percent=10, canary_bake_time_in_minutes=1),
    )
    w.deploy_green()
    green = w.service.primary
    stages = [e.stage for e in w.events if isinstance(e, ev.LifecycleStageStarted)]
    shifting = [
        S.PRE_PRODUCTION_TRAFFIC_SHIFT,
        S.PRODUCTION_TRAFFIC_SHIFT,
        S.POST_PRODUCTION_TRAFFIC_SHIFT,
    ]
    assert stages == [
        S.RECONCILE_SERVICE,
        S.PRE_SCALE_UP,
        S.SCALE_UP,
        S.POST_SCALE_UP,
        S.TEST_TRAFFIC_SHIFT,
        S.POST_TEST_TRAFFIC_SHIFT,
        *shifting,
        *shifting,
        S.BAKE_TIME,
        S.CLEAN_UP,
    ]
    shifts = [
        (e.production, dict(e.weights)[GREEN_TG])
        for e in w.events
        if isinstance(e, ev.TrafficShifted)
    ]
    assert shifts == [(True, 0), (False, 100), (True, 10), (True, 100)]
    assert (
        f"(service model-svc) (deployment {green.id}) shifted production traffic of "
        f"(listener-rule {PROD_RULE}): 90% to (target-group {BLUE_TG}), "
        f"10% to (target-group {GREEN_TG})."
    ) in w.messages()
    assert f"(service model-svc) (deployment {green.id}) entered lifecycle stage BAKE_TIME." in (
        m.message for m in w.service.events
    )


def test_deployments_during_bake_time_show_both_fleets_and_the_green_primary() -> None:
    w = world(DeploymentStrategy.BLUE_GREEN, bake_time_in_minutes=5)
    blue = w.service.primary
    w.deploy_green(until=lambda _: w.service.primary.lifecycle.stage is S.BAKE_TIME)
    green = w.service.primary
    assert [d.id for d in w.service.deployments] == [green.id, blue.id]
    assert (green.status.value, green.running_count, green.desired_count) == ("PRIMARY", 2, 2)
    assert (blue.status.value, blue.running_count, blue.desired_count) == ("ACTIVE", 2, 2)
    assert green.rollout_state is RolloutState.IN_PROGRESS
    assert green.rollout_state_reason == f"ECS deployment {green.id} in progress."
    assert w.service.running_count == 4
    assert green.lifecycle.status is ServiceDeploymentStatus.IN_PROGRESS
