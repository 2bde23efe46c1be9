"""A ROLLING deployment's ServiceDeployment view and what stops it early.

ROLLING deployments have the same ``Deployment.lifecycle`` as the traffic-shifting
ones (status, alarms, rollback): DescribeServiceDeployments shows them too.
"""

from __future__ import annotations

import pytest

from harness.ecs.domain import (
    DeploymentAlarms,
    DeploymentConfiguration,
    DeploymentStatus,
    RolloutState,
    ServiceDeploymentStatus,
    StopType,
)
from harness.ecs.scheduler.deployment_inbox import NothingToStop
from harness.ecs.scheduler.observations import AlarmsInAlarm
from tests.ecs.conftest import World, td

Status = ServiceDeploymentStatus


def rolled_out(config: DeploymentConfiguration | None = None) -> World:
    w = World(desired=2, config=config, load_balanced=True)
    w.run_until_stable()
    return w


def test_a_first_deployment_goes_from_pending_to_successful() -> None:
    w = World(desired=1)
    dep = w.service.primary
    assert dep.lifecycle.status is Status.PENDING
    w.step()
    assert dep.lifecycle.status is Status.IN_PROGRESS
    assert dep.lifecycle.started_at == dep.created_at
    w.run_until_stable()
    assert dep.lifecycle.status is Status.SUCCESSFUL
    assert dep.lifecycle.finished_at == w.now
    assert dep.lifecycle.source_deployment_ids == ()


def test_a_deployment_replaced_before_it_completed_is_stopped() -> None:
    w = rolled_out()
    first = w.service.primary
    w.update(task_definition=td(2))
    second = w.service.primary
    w.run(lambda _: bool(w.live(2)))
    w.update(task_definition=td(3))
    w.run_until_stable()
    assert second.lifecycle.status is Status.STOPPED
    assert second.lifecycle.status_reason == f"Replaced by deployment {w.service.primary.id}."
    assert second.lifecycle.source_deployment_ids == (first.id,)
    assert w.service.primary.lifecycle.status is Status.SUCCESSFUL


def test_stop_rollback_returns_a_rolling_deployment_to_the_previous_revision() -> None:
    w = rolled_out()
    first = w.service.primary
    w.update(task_definition=td(2))
    second = w.service.primary
    w.run(lambda _: bool(w.live(2)))
    w.scheduler.stop_deployment(StopType.ROLLBACK)
    assert second.lifecycle.status is Status.ROLLBACK_REQUESTED
    w.step()
    assert second.lifecycle.status is Status.ROLLBACK_IN_PROGRESS
    assert w.service.primary is first
    w.run_until_stable()
    assert second.lifecycle.status is Status.ROLLBACK_SUCCESSFUL
    assert second.status is DeploymentStatus.INACTIVE
    assert {t.task_definition_arn for t in w.live()} == {first.task_definition}


def test_stop_abort_freezes_a_rolling_deployment() -> None:
    w = rolled_out()
    w.update(task_definition=td(2))
    second = w.service.primary
    w.step()
    started = len(w.live(2))
    w.scheduler.stop_deployment(StopType.ABORT)
    assert second.lifecycle.status is Status.STOP_REQUESTED
    w.run(max_time=3600)
    assert second.rollout_state is RolloutState.FAILED
    assert second.lifecycle.status is Status.STOPPED
    # nothing more of revision 2 started, revision 1 was not scaled in
    assert len(w.live(2)) == started and len(w.live(1)) == 2


def test_an_alarm_rolls_back_a_rolling_deployment_with_rollback() -> None:
    alarms = DeploymentAlarms(("5xx",), enable=True, rollback=True)
    w = rolled_out(DeploymentConfiguration(alarms=alarms))
    first = w.service.primary
    w.update(task_definition=td(2))
    second = w.service.primary
    w.run(lambda _: bool(w.live(2)))
    w.step([AlarmsInAlarm("model-svc", ("5xx",))])
    assert w.service.primary is first
    # still in ALARM while the rollback restores revision 1: it is not rolled back again
    w.step([AlarmsInAlarm("model-svc", ("5xx",))])
    w.run_until_stable()
    assert second.lifecycle.status is Status.ROLLBACK_SUCCESSFUL
    assert second.lifecycle.triggered_alarm_names == ("5xx",)
    assert first.rollout_state is RolloutState.COMPLETED


def test_an_alarm_without_rollback_stops_a_rolling_deployment() -> None:
    alarms = DeploymentAlarms(("5xx",), enable=True, rollback=False)
    w = rolled_out(DeploymentConfiguration(alarms=alarms))
    w.update(task_definition=td(2))
    second = w.service.primary
    w.step([AlarmsInAlarm("model-svc", ("5xx",))])
    assert second.rollout_state is RolloutState.FAILED
    assert second.lifecycle.status is Status.STOPPED
    assert "5xx" in second.lifecycle.status_reason


def test_a_rollback_with_nothing_to_return_to_fails() -> None:
    w = World(desired=1)
    w.step()
    w.scheduler.stop_deployment(StopType.ROLLBACK)
    w.step()
    life = w.service.primary.lifecycle
    assert life.status is Status.ROLLBACK_FAILED
    assert "No previous service revision" in life.status_reason


def test_nothing_to_stop_on_a_settled_service() -> None:
    w = rolled_out()
    with pytest.raises(NothingToStop):
        w.scheduler.stop_deployment(StopType.ROLLBACK)
