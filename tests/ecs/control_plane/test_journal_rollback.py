"""A restart keeps a rollback: the service comes back on the revision it rolled back to.

Without a ``deployment_rolled_back`` line the replay applies the UpdateService that made
the bad deployment and nothing undoes it: the service came back on the bad revision and
deployed it again. The first incarnation here really rolls back (the circuit breaker on
crashing tasks, in a rolling update and in a blue/green shift); the second
replays its journal.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from harness.ecs import events as ev
from harness.ecs.control_plane.ecs_operations import describe_services
from harness.ecs.control_plane.journal import ROLLED_BACK
from harness.ecs.domain import DeploymentStatus, LifecycleStage, RolloutState, StopType, TaskStatus
from harness.ecs.scheduler.actions import (
    Action,
    DeregisterTarget,
    RegisterTarget,
    StartTask,
    StopTask,
)
from harness.ecs.scheduler.observations import (
    Observation,
    TargetDrained,
    TargetHealthChanged,
    TaskRunning,
    TaskStopped,
)
from tests.ecs.conftest import FakeClock
from tests.ecs.control_plane import test_journal_target_group_roles as blue_green
from tests.ecs.control_plane.test_journal_deployments import Incarnation, set_up


def described(inc: Incarnation) -> dict:
    return inc.plane.call(describe_services, {"cluster": "c", "services": ["web"]})["services"][0]


def assert_back_on(inc: Incarnation, good_id: str, bad_id: str) -> None:
    service = described(inc)
    primary = [d for d in service["deployments"] if d["status"] == "PRIMARY"]
    assert [d["id"] for d in primary] == [good_id]
    assert primary[0]["rolloutState"] == "COMPLETED"
    assert service["taskDefinition"] == primary[0]["taskDefinition"]
    assert service["taskDefinition"].endswith("web:1")
    assert bad_id not in {d["id"] for d in service["deployments"]}


def rolled_back(inc: Incarnation) -> list[tuple[str, str]]:
    return [
        (e.failed_deployment_id, e.rollback_deployment_id)
        for e in inc.events
        if isinstance(e, ev.RollingBack)
    ]


def roll_back_by_circuit_breaker(first: Incarnation) -> tuple[str, str]:
    """web:1 completes, web:2's tasks all crash: the breaker rolls back. (good, bad) ids."""
    set_up(first)
    first.run(120)
    good = first.service.primary.id
    first.call("update_service", cluster="c", service="web", taskDefinition="web:2")
    bad = first.service.primary.id
    first.run(120, crash=True)
    assert rolled_back(first) == [(bad, good)]
    assert_back_on(first, good, bad)
    return good, bad


def test_a_circuit_breaker_rollback_survives_a_restart(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    journal = tmp_path / "journal.jsonl"
    first = Incarnation(journal, clock)
    good, bad = roll_back_by_circuit_breaker(first)

    with caplog.at_level(logging.WARNING, logger="harness.ecs.control_plane.journal"):
        second = Incarnation(journal, clock)
    assert "no service's PRIMARY" not in caplog.text
    assert "could not be replayed" not in caplog.text
    assert_back_on(second, good, bad)
    assert second.service.task_definition == first.service.task_definition
    assert second.events == [], "a replay publishes nothing"
    second.run(30)  # the tasks come back on the good revision, no new deployment
    assert deployments_of(second) == [(good, "PRIMARY", "COMPLETED")]
    tasks = second.plane.schedulers()[0].tasks
    assert tasks and {t.task_definition_arn for t in tasks} == {second.service.task_definition}


def test_a_rollback_the_restart_interrupted_replays_with_the_target_primary(
    tmp_path: Path,
) -> None:
    # the restart came after the rollback began and before its target completed again
    clock = FakeClock()
    journal = tmp_path / "journal.jsonl"
    good, bad = roll_back_by_circuit_breaker(Incarnation(journal, clock))
    lines = journal.read_text().splitlines()
    rolled_back = next(i for i, line in enumerate(lines) if ROLLED_BACK in line)
    journal.write_text("\n".join(lines[: rolled_back + 1]) + "\n")

    second = Incarnation(journal, clock)
    assert second.service.primary.id == good
    assert second.service.task_definition == second.service.primary.task_definition
    assert second.service.task_definition.endswith("web:1")
    failed = next(d for d in second.service.deployments if d.id == bad)
    assert failed.status is DeploymentStatus.ACTIVE
    assert failed.rollout_state is RolloutState.FAILED
    assert failed.desired_count == 0
    second.run(60)  # the rollback finishes after the restart: the good revision COMPLETED
    assert deployments_of(second) == [(good, "PRIMARY", "COMPLETED")]


def deployments_of(inc: Incarnation) -> list[tuple[str, str, str]]:
    return [(d.id, d.status.value, d.rollout_state.value) for d in inc.service.deployments]


class BalancedIncarnation(Incarnation):
    """Tasks behind target groups: registered targets turn healthy, deregistered ones
    drain, stopped tasks stop; tasks of ``crashing`` (a revision) crash when started."""

    def run_balanced(self, seconds: float, crashing: str | None = None) -> None:
        for _ in range(int(seconds)):
            for handle in self.plane.schedulers():
                actions = handle.step()
                while seen := [o for a in actions if (o := self._observe(a, crashing))]:
                    actions = handle.step(seen)
            self.clock.t += 1

    @staticmethod
    def _observe(action: Action, crashing: str | None) -> Observation | None:
        match action:
            case StartTask(task=task):
                if crashing and task.task_definition_arn.endswith(crashing):
                    return TaskStopped(task.task_arn, exit_code=1, reason="Essential exited")
                return TaskRunning(task.task_arn, (("app", "c-" + task.task_arn[-6:]),))
            case RegisterTarget(task_arn=arn, target_group_arn=group):
                return TargetHealthChanged(arn, group, healthy=True)
            case DeregisterTarget(task_arn=arn, target_group_arn=group):
                return TargetDrained(arn, group)
            case StopTask(task_arn=arn):
                return TaskStopped(arn, exit_code=0)
        return None


def deploy_green(first: BalancedIncarnation, config: dict) -> tuple[dict[str, str], str]:
    """A BLUE_GREEN service completes web:1 in blue, then is updated to web:2 (green)
    with ``config``. The target groups' ARNs by name, and blue's deployment id."""
    arns = blue_green.set_up(first)
    first.call(
        "register_task_definition",
        family="web",
        containerDefinitions=[
            {"name": "app", "image": "app:2", "memory": 64, "portMappings": [{"containerPort": 80}]}
        ],
    )
    first.run_balanced(120)
    good = first.service.primary.id
    assert first.service.primary.rollout_state is RolloutState.COMPLETED
    first.call(
        "update_service",
        cluster="c",
        service="web",
        taskDefinition="web:2",
        deploymentConfiguration={"strategy": "BLUE_GREEN", **config},
    )
    return arns, good


def test_a_blue_green_rollback_survives_a_restart(tmp_path: Path) -> None:
    clock = FakeClock()
    journal = tmp_path / "journal.jsonl"
    first = BalancedIncarnation(journal, clock)
    arns, good = deploy_green(
        first,
        {"bakeTimeInMinutes": 0, "deploymentCircuitBreaker": {"enable": True, "rollback": True}},
    )
    bad = first.service.primary.id
    first.run_balanced(300, crashing="web:2")  # green's tasks crash: back to blue
    assert rolled_back(first) == [(bad, good)]
    assert_back_on(first, good, bad)

    second = BalancedIncarnation(journal, clock)
    assert_back_on(second, good, bad)
    assert blue_green.shown(second) == blue_green.shown(first) == (arns["blue"], arns["green"])
    second.run_balanced(60)  # blue keeps serving: no new deployment, nothing shifts
    assert deployments_of(second) == [(good, "PRIMARY", "COMPLETED")]


def test_a_blue_green_rollback_the_restart_interrupted_finishes_without_a_new_shift(
    tmp_path: Path,
) -> None:
    # StopServiceDeployment ROLLBACK in BAKE_TIME; the restart comes while green drains
    clock = FakeClock()
    journal = tmp_path / "journal.jsonl"
    first = BalancedIncarnation(journal, clock)
    _, good = deploy_green(first, {"bakeTimeInMinutes": 5})
    handle = first.plane.schedulers()[0]
    for _ in range(120):
        first.run_balanced(1)
        if first.service.primary.lifecycle.stage is LifecycleStage.BAKE_TIME:
            break
    assert first.service.primary.lifecycle.stage is LifecycleStage.BAKE_TIME
    bad = first.service.primary.id
    handle.stop_deployment(StopType.ROLLBACK)
    handle.step()  # traffic back to blue, green deregistering: then the emulator stops
    live = [t for t in handle.tasks if t.last_status is not TaskStatus.STOPPED]
    assert {t.deployment_id for t in live} == {good, bad}

    second = BalancedIncarnation(journal, clock)
    assert deployments_of(second)[0] == (good, "PRIMARY", "IN_PROGRESS")
    assert second.service.task_definition.endswith("web:1")
    adopting = second.plane.schedulers()[0]
    for task in live:  # as restart adoption does with the containers still running
        adopting.adopt(task.task_arn, task.deployment_id, clock.now() - 60, {"app": "c-1"})
    second.run_balanced(120)
    assert deployments_of(second) == [(good, "PRIMARY", "COMPLETED")]
    assert not [e for e in second.events if isinstance(e, ev.LifecycleStageStarted)]
    assert not [e for e in second.events if isinstance(e, ev.TrafficShifted)]
