"""Property: however a BLUE_GREEN/LINEAR/CANARY deployment is configured, every traffic
shift is a valid ELBv2 forward (integer weights summing to 100), production traffic to
green only grows on the way to success, and blue is not drained or stopped before the
full shift plus the bake time; the deployment then succeeds with only green left.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.ecs import events as ev
from harness.ecs.domain import (
    CanaryConfiguration,
    DeploymentAlarms,
    DeploymentConfiguration,
    DeploymentStrategy,
    HookStatus,
    HookTargetType,
    LifecycleHook,
    LifecycleStage,
    LinearConfiguration,
    ServiceDeploymentStatus,
    StopType,
)
from harness.ecs.scheduler import DeregisterTarget, StopTask
from harness.ecs.scheduler.deployment_inbox import NothingToStop
from harness.ecs.scheduler.observations import AlarmsInAlarm
from tests.ecs.scheduler.strategy_world import GREEN_TG, LAMBDA, PROD_RULE, StrategyWorld

FN = LAMBDA.format(name="ok")
HOOK_STAGES = (
    LifecycleStage.PRE_SCALE_UP,
    LifecycleStage.POST_SCALE_UP,
    LifecycleStage.TEST_TRAFFIC_SHIFT,
    LifecycleStage.POST_TEST_TRAFFIC_SHIFT,
    LifecycleStage.PRE_PRODUCTION_TRAFFIC_SHIFT,
    LifecycleStage.PRODUCTION_TRAFFIC_SHIFT,
    LifecycleStage.POST_PRODUCTION_TRAFFIC_SHIFT,
)

tenths = st.integers(min_value=1, max_value=1000).map(lambda n: n / 10)
configs = st.builds(
    lambda strategy, bake, step, step_bake, canary, canary_bake, stages: DeploymentConfiguration(
        strategy=strategy,
        bake_time_in_minutes=bake,
        linear_configuration=LinearConfiguration(step, step_bake),
        canary_configuration=CanaryConfiguration(canary, canary_bake),
        lifecycle_hooks=(
            (LifecycleHook(HookTargetType.AWS_LAMBDA, tuple(stages), hook_target_arn=FN),)
            if stages
            else ()
        ),
    ),
    st.sampled_from(
        [DeploymentStrategy.BLUE_GREEN, DeploymentStrategy.LINEAR, DeploymentStrategy.CANARY]
    ),
    st.integers(min_value=0, max_value=30),
    st.integers(min_value=30, max_value=1000).map(lambda n: n / 10),  # stepPercent 3.0-100
    st.integers(min_value=0, max_value=5),
    tenths,  # canaryPercent 0.1-100
    st.integers(min_value=0, max_value=5),
    st.lists(st.sampled_from(HOOK_STAGES), unique=True, max_size=3),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=configs, desired=st.integers(min_value=1, max_value=4))
def test_weights_sum_to_100_and_blue_outlives_the_bake_time(
    config: DeploymentConfiguration, desired: int
) -> None:
    w = StrategyWorld(
        config.strategy,
        config=config,
        desired=desired,
        functions={FN: lambda _payload: (HookStatus.SUCCEEDED, None)},
    )
    w.deploy_first()
    blue_tasks = {t.task_arn for t in w.live()}
    w.deploy_green(max_time=10 * 86400)

    for _, _, weights in w.shifts:
        assert all(isinstance(v, int) and 0 <= v <= 100 for v in weights.values())
        assert sum(weights.values()) == 100
    green = [weights[GREEN_TG] for _, rule, weights in w.shifts if rule == PROD_RULE]
    assert green == sorted(green) and green[-1] == 100
    full_at = next(
        t for t, rule, weights in w.shifts if rule == PROD_RULE and weights[GREEN_TG] == 100
    )
    bake_s = (config.bake_time_in_minutes or 0) * 60
    blue_touched = [
        at
        for at, a in w.actions
        if isinstance(a, StopTask | DeregisterTarget) and a.task_arn in blue_tasks
    ]
    assert blue_touched and min(blue_touched) >= full_at + bake_s
    assert w.service.primary.lifecycle.status is ServiceDeploymentStatus.SUCCESSFUL
    assert not (blue_tasks & {t.task_arn for t in w.live()})
    assert len(w.live(2)) == desired


failures = st.sampled_from(["hook", "alarm", "stop"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    config=configs,
    desired=st.integers(min_value=1, max_value=3),
    failure=failures,
    at=st.floats(min_value=0.0, max_value=1.0),
)
def test_any_rollback_returns_all_traffic_to_blue_and_never_stops_blue(
    config: DeploymentConfiguration, desired: int, failure: str, at: float
) -> None:
    """A failure at any moment of the deployment: a Lambda hook answering FAILED at one of
    the configured stages, an alarm, or StopServiceDeployment ROLLBACK, at a fraction
    ``at`` of the time a healthy run takes (before its clean-up)."""
    alarms = DeploymentAlarms(("5xx",), enable=True, rollback=True)
    config = replace(config, alarms=alarms)
    if failure == "hook" and not config.lifecycle_hooks:
        config = replace(
            config,
            lifecycle_hooks=(
                LifecycleHook(
                    HookTargetType.AWS_LAMBDA, (LifecycleStage.POST_SCALE_UP,), hook_target_arn=FN
                ),
            ),
        )
    answer = HookStatus.FAILED if failure == "hook" else HookStatus.SUCCEEDED
    w = StrategyWorld(
        config.strategy,
        config=config,
        desired=desired,
        functions={FN: lambda _payload: (answer, None)},
    )
    w.deploy_first()
    blue = w.service.primary
    blue_tasks = {t.task_arn for t in w.live()}
    w.update(task_definition=w.td2)
    green = w.service.primary
    if failure != "hook":
        # run into the k-th stage (k from ``at``), or to the bake time if that comes first
        k = 1 + int(at * 9)

        def entered(_: object) -> bool:
            started = [e for e in w.events if isinstance(e, ev.LifecycleStageStarted)]
            return len(started) >= k or green.lifecycle.stage is LifecycleStage.BAKE_TIME

        w.run(entered, max_time=10 * 86400)
        if green.lifecycle.stage is LifecycleStage.CLEAN_UP:
            # past the point of no return (a zero bake time): the stop is refused, the
            # alarm changes nothing, and the deployment succeeds
            if failure == "stop":
                with pytest.raises(NothingToStop, match="CLEAN_UP"):
                    w.scheduler.stop_deployment(StopType.ROLLBACK)
            else:
                w.step([AlarmsInAlarm("model-svc", ("5xx",))])
            w.run_until_stable(max_time=10 * 86400)
            assert green.lifecycle.status is ServiceDeploymentStatus.SUCCESSFUL
            return
        if failure == "alarm":
            w.step([AlarmsInAlarm("model-svc", ("5xx",))])
        else:
            w.scheduler.stop_deployment(StopType.ROLLBACK)
    w.run_until_stable(max_time=10 * 86400)

    for _, _, weights in w.shifts:
        assert sum(weights.values()) == 100
    assert w.rules[PROD_RULE][GREEN_TG] == 0
    assert w.service.primary is blue
    assert green.lifecycle.status is ServiceDeploymentStatus.ROLLBACK_SUCCESSFUL
    assert {t.task_arn for t in w.live()} == blue_tasks
    assert not any(
        isinstance(a, StopTask | DeregisterTarget) and a.task_arn in blue_tasks
        for _, a in w.actions
    )
