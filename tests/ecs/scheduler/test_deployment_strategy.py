"""The deployment-strategy seam: which reconciler decides a step's starts and stops.

A new strategy (BLUE_GREEN, LINEAR, CANARY) is a reconciler beside the rolling one; these
tests pin the seam it plugs into, so the scheduler cannot quietly bypass it.
"""

from __future__ import annotations

import pytest

from harness.ecs.domain import DeploymentConfiguration, TaskStatus
from harness.ecs.scheduler import RandomIds, StartTask
from harness.ecs.scheduler.batch import StepBatch
from harness.ecs.scheduler.deployment_strategy import (
    RECONCILERS,
    DeploymentStrategy,
    Reconciler,
    Reconcilers,
    strategy_of,
)
from harness.ecs.scheduler.rollback import Rollback
from harness.ecs.scheduler.rolling_update import RollingUpdate
from harness.ecs.scheduler.service_state import ServiceState
from harness.ecs.scheduler.task_lifecycle import TaskLifecycle
from tests.ecs.conftest import World


class LaunchOnce:
    """A strategy that starts one task of the PRIMARY on its first step, and records steps."""

    def __init__(self, state: ServiceState, lifecycle: TaskLifecycle, rollback: Rollback) -> None:
        self.state, self.lifecycle = state, lifecycle
        self.steps: list[float] = []

    def reconcile(self, now: float, batch: StepBatch) -> None:
        self.steps.append(now)
        if len(self.steps) == 1:
            self.lifecycle.launch(self.state.service.primary, now, batch)


def test_every_strategy_has_a_reconciler() -> None:
    assert set(RECONCILERS) == set(DeploymentStrategy)


def test_a_service_without_a_strategy_rolls() -> None:
    assert strategy_of(DeploymentConfiguration()) is DeploymentStrategy.ROLLING


def test_the_rolling_strategy_reconciles_with_the_rolling_update() -> None:
    w = World(desired=1)
    state = ServiceState(w.service, clock=w.clock, settings=w.scheduler.settings, ids=RandomIds(0))
    lifecycle = TaskLifecycle(state)
    reconcilers = Reconcilers(state, lifecycle, Rollback(state))

    chosen = reconcilers.for_config(w.service.deployment_configuration)

    assert isinstance(chosen, RollingUpdate)
    # built once per service: a strategy may keep state from one step to the next
    assert reconcilers.for_config(w.service.deployment_configuration) is chosen


def test_a_strategy_without_a_reconciler_is_named_in_the_error() -> None:
    w = World(desired=1)
    state = ServiceState(w.service, clock=w.clock, settings=w.scheduler.settings, ids=RandomIds(0))
    reconcilers = Reconcilers(state, TaskLifecycle(state), Rollback(state), factories={})

    with pytest.raises(ValueError, match="strategy ROLLING has no reconciler"):
        reconcilers.for_config(DeploymentConfiguration())


def test_the_scheduler_starts_and_stops_only_what_the_strategy_decides(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[LaunchOnce] = []

    def make(state: ServiceState, lifecycle: TaskLifecycle, rollback: Rollback) -> Reconciler:
        built.append(LaunchOnce(state, lifecycle, rollback))
        return built[-1]

    monkeypatch.setitem(RECONCILERS, DeploymentStrategy.ROLLING, make)  # type: ignore[index]
    w = World(desired=3)

    first = w.step()
    w.clock.t += 10
    second = w.step()

    # the rolling update would start three tasks; this strategy starts one, once
    assert [type(a) for a in first] == [StartTask]
    assert second == []
    assert built[0].steps == [w.now - 10, w.now]
    assert [t.last_status for t in w.scheduler.tasks] == [TaskStatus.PROVISIONING]
