"""The deployment circuit breaker: threshold, stage 1 and 2 failures, rollback, stall."""

from __future__ import annotations

import pytest

from harness.ecs.domain import (
    ContainerHealthCheck,
    DeploymentCircuitBreaker,
    DeploymentConfiguration,
    RolloutState,
)
from harness.ecs.scheduler import SchedulerSettings, StartTask
from harness.ecs.scheduler.circuit_breaker import FAILED_REASON, failure_threshold


@pytest.mark.parametrize(
    ("desired", "threshold"), [(0, 3), (1, 3), (4, 3), (7, 4), (10, 5), (399, 200), (1000, 200)]
)
def test_threshold_is_half_desired_clamped(desired, threshold):
    assert failure_threshold(desired, SchedulerSettings()) == threshold


def test_minimum_threshold_is_configurable():
    assert failure_threshold(4, SchedulerSettings(circuit_breaker_min_threshold=10)) == 10


def breaker(rollback: bool, min_healthy: int = 100, maximum: int = 200) -> DeploymentConfiguration:
    return DeploymentConfiguration(
        maximum_percent=maximum,
        minimum_healthy_percent=min_healthy,
        deployment_circuit_breaker=DeploymentCircuitBreaker(enable=True, rollback=rollback),
    )


def test_crash_looping_revision_rolls_back_and_old_tasks_are_untouched(
    make_world, make_td, behaviour, is_stable
):
    v2 = make_td(2)
    w = make_world(
        desired=4,
        config=breaker(rollback=True),
        load_balanced=True,
        behaviours={v2.arn: behaviour(crash_after=3.0)},
    )
    w.run_until_stable()
    good = w.service.primary
    old_tasks = {t.task_arn for t in w.live()}
    w.update(task_definition=v2)
    failed = w.service.primary
    w.run_until_stable()
    assert is_stable(w)
    assert {t.task_arn for t in w.live()} == old_tasks  # never stopped, never replaced
    assert w.service.deployments == [good]
    assert good.rollout_state is RolloutState.COMPLETED
    assert w.service.task_definition.endswith(":1")
    assert failed.rollout_state is RolloutState.FAILED
    assert failed.rollout_state_reason == FAILED_REASON
    assert failed.failed_tasks == 3
    msgs = w.messages()
    assert (
        f"(service model-svc) (deployment {failed.id}) deployment failed: "
        "tasks failed to start." in msgs
    )
    assert any("rolling back to deployment " + good.id in m for m in msgs)
    assert msgs[-1] == "(service model-svc) has reached a steady state."


def test_rollback_shows_old_deployment_primary_in_progress(make_world, make_td, behaviour):
    v2 = make_td(2)
    w = make_world(
        desired=2, config=breaker(rollback=True), behaviours={v2.arn: behaviour(fail_to_start=True)}
    )
    w.run_until_stable()
    good = w.service.primary
    w.update(task_definition=v2)
    failed = w.service.primary
    w.run(lambda w: w.service.primary is good)
    assert [d.status.value for d in w.service.deployments] == ["PRIMARY", "ACTIVE"]
    assert w.service.deployments[1] is failed
    assert good.rollout_state is RolloutState.IN_PROGRESS
    assert good.desired_count == 2


def test_tasks_failing_to_start_without_rollback_stall_failed(make_world, make_td, behaviour):
    v2 = make_td(2)
    w = make_world(
        desired=4,
        config=breaker(rollback=False, min_healthy=50),
        behaviours={v2.arn: behaviour(fail_to_start=True)},
    )
    w.run_until_stable()
    w.update(task_definition=v2)
    failed = w.service.primary
    w.run(max_time=3600)
    assert failed.rollout_state is RolloutState.FAILED
    trip = max(t for t, a in w.actions if isinstance(a, StartTask))
    # nothing more is launched for the failed deployment; old tasks keep serving
    assert all(t.task_definition_arn.endswith(":1") for t in w.live())
    assert len(w.live()) == 2  # min 50%: two old tasks were stopped before any start
    assert w.now >= trip
    stopped_v2 = [t for t in w.scheduler.tasks if t.task_definition_arn.endswith(":2")]
    assert {t.stop_code.value for t in stopped_v2} == {"TaskFailedToStart"}


def test_failed_first_deployment_has_nothing_to_roll_back_to(make_world, make_td, behaviour):
    v1 = make_td(1)
    w = make_world(
        desired=2,
        config=breaker(rollback=True),
        task_definition=v1,
        behaviours={v1.arn: behaviour(fail_to_start=True)},
    )
    w.run(max_time=3600)
    assert w.service.primary.rollout_state is RolloutState.FAILED
    assert w.live() == []
    # 2 launched, both failed, 2 replacements: the breaker trips at the third failure
    # and the fourth, already launched, fails too; nothing is launched after the trip.
    assert len(w.scheduler.tasks) == 4
    assert w.service.primary.failed_tasks == 3


def test_health_check_failures_count_as_stage_2(make_world, make_td, behaviour):
    hc = ContainerHealthCheck(command=("CMD", "false"), interval=10, retries=2)
    v2 = make_td(2, health_check=hc)
    w = make_world(
        desired=2,
        config=breaker(rollback=True),
        behaviours={v2.arn: behaviour(check_passes=lambda _s: False)},
    )
    w.run_until_stable()
    good = w.service.primary
    w.update(task_definition=v2)
    w.run_until_stable()
    assert w.service.deployments == [good]
    reasons = {t.stopped_reason for t in w.scheduler.tasks if t.task_definition_arn.endswith(":2")}
    assert "Task failed container health checks" in reasons


def test_breaker_disabled_keeps_trying(make_world, make_td, behaviour):
    v2 = make_td(2)
    w = make_world(desired=2, behaviours={v2.arn: behaviour(fail_to_start=True)})
    w.run_until_stable()
    w.update(task_definition=v2)
    w.run(max_time=600)
    assert w.service.primary.rollout_state is RolloutState.IN_PROGRESS
    assert w.service.primary.failed_tasks > 10


def test_after_a_failed_deployment_old_tasks_are_replaced_from_their_revision(
    make_world, make_td, behaviour
):
    v2 = make_td(2)
    w = make_world(
        desired=2,
        config=breaker(rollback=False),
        behaviours={v2.arn: behaviour(fail_to_start=True)},
    )
    w.run_until_stable()
    w.update(task_definition=v2)
    w.run(max_time=3600)
    assert w.service.primary.rollout_state is RolloutState.FAILED
    victim = w.live()[0]
    started = [a for a in w.kill(victim.task_arn) if isinstance(a, StartTask)]
    assert [a.task_definition.arn for a in started] == [victim.task_definition_arn]
    assert started[0].task.deployment_id == victim.deployment_id


def test_old_task_dying_mid_rollout_is_replaced_by_the_primary(make_world, make_td):
    w = make_world(desired=2, config=breaker(rollback=True, min_healthy=100, maximum=150))
    w.run_until_stable()
    w.update(task_definition=make_td(2))
    w.step()
    old = [t for t in w.live() if t.task_definition_arn.endswith(":1")]
    w.kill(old[0].task_arn)
    w.run_until_stable()
    assert [d.task_definition.rsplit(":", 1)[-1] for d in w.service.deployments] == ["2"]
    assert sum(t.task_definition_arn.endswith(":1") for t in w.scheduler.tasks) == 2
