"""BLUE_GREEN/LINEAR/CANARY deployments that fail or are stopped, and the commands.

Issue 12's failure list, each in simulated time: a Lambda hook answering FAILED, a PAUSE
hook answered ROLLBACK, a PAUSE hook timing out with each timeout action, an alarm
during bake, StopServiceDeployment ROLLBACK and ABORT, the circuit breaker during a
canary. A rollback always means: production (and test) traffic 100 % blue at once,
green stopped, blue never stopped, the green deployment ROLLBACK_SUCCESSFUL once blue
is whole again.
"""

from __future__ import annotations

import itertools

import pytest

from harness.ecs.domain import (
    CanaryConfiguration,
    ContainerHealthCheck,
    ContainerSpec,
    DeploymentAlarms,
    DeploymentCircuitBreaker,
    DeploymentConfiguration,
    DeploymentStatus,
    DeploymentStrategy,
    HookAction,
    HookStatus,
    HookTargetType,
    LifecycleHook,
    LifecycleStage,
    RolloutState,
    ServiceDeploymentStatus,
    StopType,
    TaskDefinitionSpec,
)
from harness.ecs.scheduler import SchedulerSettings, StopTask
from harness.ecs.scheduler.actions import ShiftTraffic
from harness.ecs.scheduler.deployment_inbox import NoSuchPausedHook, NothingToStop
from harness.ecs.scheduler.observations import AlarmsInAlarm, HookAnswered
from harness.time_scale import TimeScale
from tests.ecs.conftest import Behaviour, td
from tests.ecs.scheduler.strategy_world import (
    BLUE_TG,
    GREEN_TG,
    LAMBDA,
    PROD_RULE,
    TEST_RULE,
    StrategyWorld,
    at_stage,
    pause_until,
)

S = LifecycleStage
CHECK = LAMBDA.format(name="check")
ALARM = "model-5xx"


def hook(kind: HookTargetType, *stages: LifecycleStage, **kw: object) -> LifecycleHook:
    target = CHECK if kind is HookTargetType.AWS_LAMBDA else ""
    return LifecycleHook(kind, stages, hook_target_arn=target, **kw)  # type: ignore[arg-type]


def world(
    strategy: DeploymentStrategy = DeploymentStrategy.CANARY,
    *,
    answers: list[tuple[HookStatus, float | None]] | None = None,
    desired: int = 2,
    settings: SchedulerSettings | None = None,
    behaviours: dict | None = None,
    **config: object,
) -> StrategyWorld:
    """A service with revision 1 deployed; ``answers``: what the Lambda hook answers, in
    turn (the last one repeats)."""
    replies = list(answers or [(HookStatus.SUCCEEDED, None)])

    def check(_payload: dict[str, object]) -> tuple[HookStatus, float | None]:
        return replies.pop(0) if len(replies) > 1 else replies[0]

    config.setdefault("bake_time_in_minutes", 5)
    config.setdefault("canary_configuration", CanaryConfiguration(20, 10))
    w = StrategyWorld(
        strategy,
        config=DeploymentConfiguration(**config),  # type: ignore[arg-type]
        desired=desired,
        functions={CHECK: check},
        settings=settings,
        behaviours=behaviours,
    )
    w.deploy_first()
    w.blue = w.service.primary  # type: ignore[attr-defined]
    w.blue_tasks = {t.task_arn for t in w.live()}  # type: ignore[attr-defined]
    return w


def assert_rolled_back(w: StrategyWorld, reason: str) -> None:
    blue = w.blue  # type: ignore[attr-defined]
    green = next(d for d in [*w.service.deployments, w._green] if d is not blue)  # type: ignore[attr-defined]
    assert w.service.primary is blue and blue.status is DeploymentStatus.PRIMARY
    assert blue.rollout_state is RolloutState.COMPLETED
    assert w.rules[PROD_RULE] == {BLUE_TG: 100, GREEN_TG: 0}
    assert w.rules[TEST_RULE].get(GREEN_TG, 0) == 0
    # blue was never stopped; no green task is left
    assert {t.task_arn for t in w.live()} == w.blue_tasks  # type: ignore[attr-defined]
    assert not any(
        isinstance(a, StopTask) and a.task_arn in w.blue_tasks  # type: ignore[attr-defined]
        for _, a in w.actions
    )
    assert not w.live(2)
    assert green.rollout_state is RolloutState.FAILED
    life = green.lifecycle
    assert life.status is ServiceDeploymentStatus.ROLLBACK_SUCCESSFUL
    assert reason in life.rollback_reason
    assert life.rollback_started_at is not None and life.finished_at == w.now
    assert life.production_traffic_weight == 0


def start_green(w: StrategyWorld, until) -> None:
    w.update(task_definition=w.td2)
    w._green = w.service.primary  # type: ignore[attr-defined]
    w.run(until)


# ---------------------------------------------------------------------------- hooks


def test_a_lambda_hook_answering_failed_rolls_back_before_any_traffic_moves() -> None:
    w = world(
        lifecycle_hooks=(hook(HookTargetType.AWS_LAMBDA, S.POST_SCALE_UP),),
        answers=[(HookStatus.FAILED, None)],
    )
    start_green(w, lambda _: w.service.primary is w.blue)  # type: ignore[attr-defined]
    w.run_until_stable()
    assert_rolled_back(w, "at POST_SCALE_UP failed")
    # production never went to green
    assert all(weights[GREEN_TG] == 0 for _, weights in w.production_shifts())
    run = w._green.lifecycle.hooks[0]  # type: ignore[attr-defined]
    assert (run.stage, run.status) == (S.POST_SCALE_UP, HookStatus.FAILED)
    assert "rolling back" in " ".join(w.messages())


def test_a_lambda_hook_in_progress_is_called_again_after_its_callback_delay() -> None:
    w = world(
        lifecycle_hooks=(hook(HookTargetType.AWS_LAMBDA, S.PRE_SCALE_UP),),
        answers=[
            (HookStatus.IN_PROGRESS, 40.0),
            (HookStatus.IN_PROGRESS, None),
            (HookStatus.SUCCEEDED, None),
        ],
        settings=SchedulerSettings(time=TimeScale(0.5)),
    )
    w.deploy_green()
    times = [t for t, _ in w.invocations]
    # answered after 2 s each; called again 40 s x 0.5, then the default 30 s x 0.5
    assert [b - a for a, b in itertools.pairwise(times)] == [2 + 20, 2 + 15]
    assert len({a.hook_id for _, a in w.invocations}) == 1
    assert w.service.primary.lifecycle.status is ServiceDeploymentStatus.SUCCESSFUL
    assert w.service.primary.lifecycle.hooks[0].status is HookStatus.SUCCEEDED


def test_no_green_task_starts_before_pre_scale_up_hooks_succeed() -> None:
    w = world(
        lifecycle_hooks=(hook(HookTargetType.PAUSE, S.PRE_SCALE_UP),),
    )
    start_green(w, pause_until(w, S.PRE_SCALE_UP))
    w.run(max_time=3600)
    assert not w.live(2)
    hook_id = w.service.primary.lifecycle.hooks[0].hook_id
    w.scheduler.continue_deployment(hook_id, HookAction.CONTINUE)
    w.run_until_stable()
    assert w.service.primary.task_definition.endswith(":2")
    assert w.service.primary.lifecycle.hooks[0].status is HookStatus.SUCCEEDED


def test_a_pause_hook_answered_rollback_rolls_back_test_traffic_too() -> None:
    w = world(lifecycle_hooks=(hook(HookTargetType.PAUSE, S.POST_TEST_TRAFFIC_SHIFT),))
    start_green(w, pause_until(w, S.POST_TEST_TRAFFIC_SHIFT))
    assert w.rules[TEST_RULE] == {BLUE_TG: 0, GREEN_TG: 100}
    run = w.service.primary.lifecycle.hooks[0]
    assert run.status is HookStatus.AWAITING_ACTION
    w.scheduler.continue_deployment(run.hook_id, HookAction.ROLLBACK)
    actions = w.step()
    # the rollback shifts at once, in the step that takes the answer
    assert ShiftTraffic(PROD_RULE, ((BLUE_TG, 100), (GREEN_TG, 0))) in actions
    assert ShiftTraffic(TEST_RULE, ((BLUE_TG, 100), (GREEN_TG, 0))) in actions
    w.run_until_stable()
    assert_rolled_back(w, "failed: ContinueServiceDeployment ROLLBACK")


@pytest.mark.parametrize("action", [HookAction.CONTINUE, HookAction.ROLLBACK])
def test_a_pause_hook_timing_out_takes_its_timeout_action(action: HookAction) -> None:
    w = world(
        lifecycle_hooks=(
            hook(
                HookTargetType.PAUSE, S.POST_SCALE_UP, timeout_in_minutes=3, timeout_action=action
            ),
        ),
    )
    start_green(w, pause_until(w, S.POST_SCALE_UP))
    run = w.service.primary.lifecycle.hooks[0]
    assert run.expires_at == pytest.approx(run.started_at + 180)
    assert w.scheduler.next_wakeup() == pytest.approx(run.expires_at)
    w.run_until_stable()
    assert run.status is HookStatus.TIMED_OUT
    if action is HookAction.CONTINUE:
        assert w.service.primary is w._green  # type: ignore[attr-defined]
        assert w._green.lifecycle.status is ServiceDeploymentStatus.SUCCESSFUL  # type: ignore[attr-defined]
    else:
        assert_rolled_back(w, "timed out")


def test_a_pause_hook_without_timeout_configuration_waits_1440_minutes_then_rolls_back() -> None:
    w = world(lifecycle_hooks=(hook(HookTargetType.PAUSE, S.POST_SCALE_UP),))
    start_green(w, pause_until(w, S.POST_SCALE_UP))
    run = w.service.primary.lifecycle.hooks[0]
    assert run.expires_at == pytest.approx(run.started_at + 1440 * 60)
    w.run_until_stable(max_time=2 * 86400)
    assert_rolled_back(w, "timed out")


def test_hooks_at_the_traffic_shift_stages_run_again_on_rollback() -> None:
    w = world(
        lifecycle_hooks=(
            hook(HookTargetType.AWS_LAMBDA, S.TEST_TRAFFIC_SHIFT, S.PRODUCTION_TRAFFIC_SHIFT),
        ),
    )
    start_green(w, at_stage(w, S.BAKE_TIME))
    w.scheduler.stop_deployment(StopType.ROLLBACK)
    w.run_until_stable()
    assert_rolled_back(w, "StopServiceDeployment (ROLLBACK)")
    runs = w._green.lifecycle.hooks  # type: ignore[attr-defined]
    # forward: test shift, two production steps; on rollback: the two stages again
    assert [(r.stage, r.on_rollback) for r in runs] == [
        (S.TEST_TRAFFIC_SHIFT, False),
        (S.PRODUCTION_TRAFFIC_SHIFT, False),
        (S.PRODUCTION_TRAFFIC_SHIFT, False),
        (S.TEST_TRAFFIC_SHIFT, True),
        (S.PRODUCTION_TRAFFIC_SHIFT, True),
    ]
    rollback_payload = w.invocations[-1][1].payload["executionDetails"]
    weights = rollback_payload["productionTrafficWeights"]  # type: ignore[index]
    assert sorted(weights.values()) == [0, 100]
    assert weights[rollback_payload["targetServiceRevisionArn"]] == 0  # type: ignore[index]
    assert all(r.status is HookStatus.SUCCEEDED for r in runs)


# ---------------------------------------------------------------------------- alarms


def test_an_alarm_during_bake_time_rolls_back_at_once() -> None:
    w = world(alarms=DeploymentAlarms((ALARM, "other"), enable=True, rollback=True))
    start_green(w, at_stage(w, S.BAKE_TIME))
    assert w.green_weight() == 100
    actions = w.step([AlarmsInAlarm("model-svc", (ALARM,))])
    assert ShiftTraffic(PROD_RULE, ((BLUE_TG, 100), (GREEN_TG, 0))) in actions
    assert w._green.lifecycle.status is ServiceDeploymentStatus.ROLLBACK_IN_PROGRESS  # type: ignore[attr-defined]
    w.run_until_stable()
    assert_rolled_back(w, f"CloudWatch alarm(s) {ALARM} in ALARM")
    assert w._green.lifecycle.triggered_alarm_names == (ALARM,)  # type: ignore[attr-defined]


def test_an_alarm_of_another_service_or_not_in_the_list_changes_nothing() -> None:
    w = world(alarms=DeploymentAlarms((ALARM,), enable=True, rollback=True))
    start_green(w, at_stage(w, S.BAKE_TIME))
    w.step([AlarmsInAlarm("other-svc", (ALARM,)), AlarmsInAlarm("model-svc", ("unrelated",))])
    w.run_until_stable()
    assert w.service.primary is w._green  # type: ignore[attr-defined]
    assert w._green.lifecycle.status is ServiceDeploymentStatus.SUCCESSFUL  # type: ignore[attr-defined]


def test_alarms_not_enabled_are_ignored() -> None:
    w = world(alarms=DeploymentAlarms((ALARM,), enable=False, rollback=True))
    start_green(w, at_stage(w, S.BAKE_TIME))
    w.step([AlarmsInAlarm("model-svc", (ALARM,))])
    w.run_until_stable()
    assert w._green.lifecycle.status is ServiceDeploymentStatus.SUCCESSFUL  # type: ignore[attr-defined]


def test_an_alarm_without_rollback_stops_the_deployment_where_it_is() -> None:
    w = world(alarms=DeploymentAlarms((ALARM,), enable=True, rollback=False))
    start_green(w, lambda _: w.green_weight() == 20)
    shifts = len(w.shifts)
    w.step([AlarmsInAlarm("model-svc", (ALARM,))])
    w.run(max_time=3600)
    green = w._green  # type: ignore[attr-defined]
    assert green.lifecycle.status is ServiceDeploymentStatus.STOPPED
    assert green.rollout_state is RolloutState.FAILED
    assert len(w.shifts) == shifts and w.green_weight() == 20
    assert len(w.live(1)) == 2 and len(w.live(2)) == 2


# ---------------------------------------------------------------------------- StopServiceDeployment


def test_stop_rollback_during_the_canary_bake() -> None:
    w = world()
    start_green(w, lambda _: w.green_weight() == 20)
    w.scheduler.stop_deployment(StopType.ROLLBACK)
    assert w._green.lifecycle.status is ServiceDeploymentStatus.ROLLBACK_REQUESTED  # type: ignore[attr-defined]
    actions = w.step()
    assert ShiftTraffic(PROD_RULE, ((BLUE_TG, 100), (GREEN_TG, 0))) in actions
    assert w._green.lifecycle.status is ServiceDeploymentStatus.ROLLBACK_IN_PROGRESS  # type: ignore[attr-defined]
    # a second ROLLBACK while rolling back just lets it go on
    w.scheduler.stop_deployment(StopType.ROLLBACK)
    w.run_until_stable()
    assert_rolled_back(w, "StopServiceDeployment (ROLLBACK)")


def test_stop_abort_during_the_canary_bake_leaves_everything_where_it_is() -> None:
    w = world()
    start_green(w, lambda _: w.green_weight() == 20)
    w.scheduler.stop_deployment(StopType.ABORT)
    assert w._green.lifecycle.status is ServiceDeploymentStatus.STOP_REQUESTED  # type: ignore[attr-defined]
    shifts = len(w.shifts)
    w.run(max_time=3600)
    green = w._green  # type: ignore[attr-defined]
    assert green.lifecycle.status is ServiceDeploymentStatus.STOPPED
    assert green.lifecycle.stopped_at is not None
    assert green.rollout_state is RolloutState.FAILED
    assert len(w.shifts) == shifts and w.rules[PROD_RULE] == {BLUE_TG: 80, GREEN_TG: 20}
    assert len(w.live(1)) == 2 and len(w.live(2)) == 2
    with pytest.raises(NothingToStop, match="no deployment in progress"):
        w.scheduler.stop_deployment(StopType.ROLLBACK)
    # the next deployment starts afresh from blue; the aborted green is cleaned up
    w.update(task_definition=td(3))
    w.run_until_stable()
    assert {t.task_definition_arn[-1] for t in w.live()} == {"3"}
    assert w.service.primary.lifecycle.status is ServiceDeploymentStatus.SUCCESSFUL


def test_nothing_to_stop_once_the_deployment_completed() -> None:
    w = world()
    with pytest.raises(NothingToStop, match="model-svc has no deployment in progress"):
        w.scheduler.stop_deployment(StopType.ABORT)


def test_continue_names_a_paused_hook() -> None:
    w = world(
        lifecycle_hooks=(
            hook(HookTargetType.PAUSE, S.POST_SCALE_UP),
            hook(HookTargetType.AWS_LAMBDA, S.POST_SCALE_UP),
        ),
        answers=[(HookStatus.IN_PROGRESS, 600.0)],
    )
    start_green(w, pause_until(w, S.POST_SCALE_UP))
    pause, lam = w.service.primary.lifecycle.hooks
    with pytest.raises(NoSuchPausedHook, match="no lifecycle hook 'nope'"):
        w.scheduler.continue_deployment("nope", HookAction.CONTINUE)
    with pytest.raises(NoSuchPausedHook, match="is not a PAUSE hook"):
        w.scheduler.continue_deployment(lam.hook_id, HookAction.CONTINUE)
    w.scheduler.continue_deployment(pause.hook_id, HookAction.CONTINUE)
    with pytest.raises(NoSuchPausedHook, match="not awaiting action"):
        w.scheduler.continue_deployment(pause.hook_id, HookAction.CONTINUE)
    w.step()
    assert pause.status is HookStatus.SUCCEEDED
    # both hooks of a stage must end before the next stage
    assert w.service.primary.lifecycle.stage is S.POST_SCALE_UP


# ---------------------------------------------------------------------------- circuit breaker


def test_the_circuit_breaker_during_a_canary_rolls_back() -> None:
    check = ContainerHealthCheck(("CMD", "true"))
    sick = TaskDefinitionSpec(
        arn="arn:aws:ecs:us-east-1:000000000000:task-definition/model:2",
        containers=(ContainerSpec("model", "model:2", True, check, 30.0),),
    )
    # green passes its checks for 2 minutes (through SCALE_UP and the canary shift), then
    # fails them: during the canary bake
    w = world(
        desired=3,
        deployment_circuit_breaker=DeploymentCircuitBreaker(enable=True, rollback=True),
        behaviours={sick.arn: Behaviour(check_passes=lambda since: since < 120)},
    )
    w.td2 = sick
    start_green(w, lambda _: w.service.primary is w.blue)  # type: ignore[attr-defined]
    w.run_until_stable()
    assert_rolled_back(w, "circuit breaker")
    # the canary had production traffic when the breaker tripped
    assert [weights[GREEN_TG] for _, weights in w.production_shifts()] == [0, 20, 0]
    assert w._green.rollout_state_reason.startswith("ECS deployment circuit breaker")  # type: ignore[attr-defined]


def test_scaling_to_zero_mid_deployment_stops_both_fleets() -> None:
    """DeleteService sets the desired count to 0: blue is not kept alive by the run."""
    w = world()
    start_green(w, lambda _: w.green_weight() == 20)
    w.update(desired_count=0)
    w.run(lambda _: not w.live(), max_time=3600)
    assert not w.live()


def test_a_late_hook_answer_after_a_rollback_is_dropped() -> None:
    w = world(
        lifecycle_hooks=(
            hook(HookTargetType.PAUSE, S.POST_SCALE_UP),
            hook(HookTargetType.AWS_LAMBDA, S.POST_SCALE_UP),
        ),
        answers=[(HookStatus.IN_PROGRESS, 600.0)],
    )
    start_green(w, pause_until(w, S.POST_SCALE_UP))
    pause, lam = w.service.primary.lifecycle.hooks
    w.scheduler.continue_deployment(pause.hook_id, HookAction.ROLLBACK)
    w.run_until_stable()
    assert_rolled_back(w, "ContinueServiceDeployment ROLLBACK")
    # the Lambda still running was abandoned; its later answer changes nothing
    assert (lam.status, lam.status_reason) == (
        HookStatus.FAILED,
        "abandoned: the deployment rolled back",
    )
    w.step([HookAnswered(lam.hook_id, HookStatus.SUCCEEDED)])
    assert lam.status is HookStatus.FAILED
    assert w.scheduler._state.inbox.hook_answers == {}


def test_a_new_deployment_while_rollback_hooks_run_still_follows_them() -> None:
    """Rollback hooks keep being followed (and never leave a due timer behind) when the
    next deployment starts before they answered."""
    w = world(
        lifecycle_hooks=(hook(HookTargetType.AWS_LAMBDA, S.PRODUCTION_TRAFFIC_SHIFT),),
        answers=[(HookStatus.SUCCEEDED, None)],
    )
    start_green(w, lambda _: w.green_weight() == 20)
    w.hook_latency = 7200.0  # the rollback's hook answers late
    w.scheduler.stop_deployment(StopType.ROLLBACK)
    w.step()
    rollback_runs = [r for r in w._green.lifecycle.hooks if r.on_rollback]  # type: ignore[attr-defined]
    assert [r.status for r in rollback_runs] == [HookStatus.IN_PROGRESS]
    w.hook_latency = 2.0
    w.update(task_definition=td(3))
    w.run_until_stable(max_time=3 * 86400)
    assert w.service.primary.task_definition.endswith(":3")
    w.run(lambda _: rollback_runs[0].status is not HookStatus.IN_PROGRESS, max_time=86400)
    assert rollback_runs[0].status is HookStatus.SUCCEEDED
    assert w.scheduler.next_wakeup() is None or w.scheduler.next_wakeup() > w.now


def test_in_clean_up_a_stop_is_refused_and_an_alarm_changes_nothing() -> None:
    """Once blue is being stopped the deployment can no longer return to it."""
    w = world(alarms=DeploymentAlarms((ALARM,), enable=True, rollback=True))
    start_green(w, at_stage(w, S.CLEAN_UP))
    with pytest.raises(NothingToStop, match="is in CLEAN_UP"):
        w.scheduler.stop_deployment(StopType.ROLLBACK)
    w.step([AlarmsInAlarm("model-svc", (ALARM,))])
    w.run_until_stable()
    assert w._green.lifecycle.status is ServiceDeploymentStatus.SUCCESSFUL  # type: ignore[attr-defined]
    assert w.green_weight() == 100


@pytest.mark.parametrize(
    "stage",
    [
        S.PRE_SCALE_UP,
        S.SCALE_UP,
        S.POST_SCALE_UP,
        S.TEST_TRAFFIC_SHIFT,
        S.POST_TEST_TRAFFIC_SHIFT,
        S.PRE_PRODUCTION_TRAFFIC_SHIFT,
        S.PRODUCTION_TRAFFIC_SHIFT,
        S.POST_PRODUCTION_TRAFFIC_SHIFT,
        S.BAKE_TIME,
    ],
)
def test_an_alarm_at_any_stage_before_clean_up_rolls_back(stage: LifecycleStage) -> None:
    hookable = tuple(
        s for s in S if s not in (S.RECONCILE_SERVICE, S.SCALE_UP, S.BAKE_TIME, S.CLEAN_UP)
    )
    w = world(
        lifecycle_hooks=(hook(HookTargetType.AWS_LAMBDA, *hookable),),
        alarms=DeploymentAlarms((ALARM,), enable=True, rollback=True),
    )
    w.hook_latency = 50.0  # each hooked stage lasts 50 s
    start_green(w, at_stage(w, stage))
    assert w._green.lifecycle.stage is stage  # type: ignore[attr-defined]
    w.step([AlarmsInAlarm("model-svc", (ALARM,))])
    w.run_until_stable()
    assert_rolled_back(w, "in ALARM")
