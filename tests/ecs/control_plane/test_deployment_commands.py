"""StopServiceDeployment and ContinueServiceDeployment as the control plane calls them:
through a :class:`SchedulerHandle`, with the control plane's errors for refusals, on the
real scheduler's handle and on the instant stand-in alike."""

from __future__ import annotations

import pytest

from harness.ecs.control_plane.errors import ConflictException, InvalidParameterException
from harness.ecs.control_plane.instant_scheduler import InstantScheduler
from harness.ecs.control_plane.scheduler_adapter import ServiceSchedulerHandle
from harness.ecs.domain import (
    DeploymentConfiguration,
    DeploymentStrategy,
    HookAction,
    HookStatus,
    HookTargetType,
    LifecycleHook,
    LifecycleStage,
    ServiceDeploymentStatus,
    StopType,
)
from tests.ecs.conftest import World, td
from tests.ecs.scheduler.strategy_world import StrategyWorld


def test_the_handle_turns_nothing_to_stop_into_a_conflict_and_wakes_the_loop_otherwise() -> None:
    w = World(desired=1)
    woken: list[object] = []
    handle = ServiceSchedulerHandle(w.scheduler, woken.append)
    w.run_until_stable()
    with pytest.raises(ConflictException, match="no deployment in progress"):
        handle.stop_deployment(StopType.ROLLBACK)
    assert woken == []
    w.update(task_definition=td(2))
    handle.stop_deployment(StopType.ABORT)
    assert woken == [handle]
    assert w.service.primary.lifecycle.status is ServiceDeploymentStatus.STOP_REQUESTED


def test_the_handle_passes_a_pause_answer_and_refuses_an_unknown_hook() -> None:
    pause = LifecycleHook(HookTargetType.PAUSE, (LifecycleStage.POST_SCALE_UP,))
    w = StrategyWorld(
        DeploymentStrategy.BLUE_GREEN,
        config=DeploymentConfiguration(bake_time_in_minutes=0, lifecycle_hooks=(pause,)),
        desired=1,
    )
    w.deploy_first()
    woken: list[object] = []
    handle = ServiceSchedulerHandle(w.scheduler, woken.append)
    w.deploy_green(until=lambda _: bool(w.service.primary.lifecycle.hooks))
    with pytest.raises(InvalidParameterException, match="no lifecycle hook 'h-1'"):
        handle.continue_deployment("h-1", HookAction.CONTINUE)
    run = w.service.primary.lifecycle.hooks[0]
    handle.continue_deployment(run.hook_id, HookAction.CONTINUE)
    assert woken == [handle]
    w.run_until_stable()
    assert run.status is HookStatus.SUCCEEDED
    assert w.service.primary.lifecycle.status is ServiceDeploymentStatus.SUCCESSFUL


def test_the_instant_scheduler_never_has_a_deployment_to_stop_or_continue() -> None:
    w = World(desired=1)  # only for a Service object
    instant = InstantScheduler(w.service, td(1), clock=lambda: 1.0)
    assert instant.service.primary.lifecycle.status is ServiceDeploymentStatus.SUCCESSFUL
    with pytest.raises(ConflictException):
        instant.stop_deployment(StopType.ROLLBACK)
    with pytest.raises(InvalidParameterException):
        instant.continue_deployment("any", HookAction.CONTINUE)
