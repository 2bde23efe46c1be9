"""After an emulator restart: which containers are adopted, and how the service takes them.

``plan_adoption`` is pure (containers as the runtime found them, services as the journal
replayed them); ``ServiceScheduler.adopt`` must make the tasks RUNNING members of their
deployment so that no replacement starts and a rollout in progress carries on.
"""

from __future__ import annotations

from harness.ecs.domain import DeploymentStatus, RolloutState, ServiceStatus
from harness.ecs.scheduler import AdoptTask, RegisterTarget, StartTask, TargetHealthChanged
from harness.ecs.scheduler.adoption_plan import FoundContainer, plan_adoption
from tests.ecs.conftest import CLUSTER_ARN, T0, TG_ARN, World, stable, td

TASK = "arn:aws:ecs:us-east-1:000000000000:task/drydock/{}"


def found(n: int, revision: int = 1, **overrides: object) -> FoundContainer:
    fields: dict[str, object] = {
        "container_id": f"c{n}",
        "running": True,
        "task_arn": TASK.format(f"{n:032x}"),
        "cluster_arn": CLUSTER_ARN,
        "service_name": "model-svc",
        "task_definition_arn": td(revision).arn,
        "container_name": "model",
        "started_at": T0 - 100,
    }
    fields.update(overrides)
    return FoundContainer(**fields)  # type: ignore[arg-type]


def names(arn: str) -> list[str] | None:
    return ["model"] if arn in (td(1).arn, td(2).arn) else None


def test_a_running_task_of_the_primary_revision_is_adopted_with_its_arn() -> None:
    w = World(desired=2)

    plan = plan_adoption([found(1), found(2)], [w.service], names)

    assert [t.task_arn for t in plan.adopt] == [found(1).task_arn, found(2).task_arn]
    assert {t.deployment_id for t in plan.adopt} == {w.service.primary.id}
    assert plan.adopt[0].container_ids == {"model": "c1"} and plan.remove == ()


def test_the_primary_wins_when_two_deployments_run_the_same_revision() -> None:
    w = World(desired=2)
    w.update(force_new_deployment=True)

    (adopted,) = plan_adoption([found(1)], [w.service], names).adopt

    assert adopted.deployment_id == w.service.primary.id
    assert len(w.service.deployments) == 2


def test_a_task_of_an_older_revision_joins_the_older_deployment() -> None:
    w = World(desired=2)
    w.update(task_definition=td(2))

    (adopted,) = plan_adoption([found(1, revision=1)], [w.service], names).adopt

    old = next(d for d in w.service.deployments if d.status is DeploymentStatus.ACTIVE)
    assert adopted.deployment_id == old.id


def test_containers_that_cannot_be_matched_are_removed_with_a_reason() -> None:
    w = World(desired=2)
    deleted = World(desired=1).service
    deleted.service_name, deleted.status = "gone-svc", ServiceStatus.INACTIVE
    containers = [
        found(1, running=False),
        found(2, service_name="gone-svc"),
        found(3, revision=2),  # registered, but no deployment runs it
        found(4, task_definition_arn="arn:aws:ecs:us-east-1:0:task-definition/x:9"),
        found(5, task_definition_arn=None),
        found(6, task_arn=None),
        found(7, container_name="sidecar"),
    ]

    plan = plan_adoption(containers, [w.service, deleted], names)

    assert plan.adopt == ()
    assert sorted(r.container_id for r in plan.remove) == [f"c{n}" for n in range(1, 8)]
    assert all(r.reason for r in plan.remove)


def test_a_task_is_adopted_whole_or_not_at_all() -> None:
    w = World(desired=1)
    sidecar = found(1, container_id="c1-sidecar", container_name="sidecar")
    stopped = found(1, container_id="c1-model", running=False)

    plan = plan_adoption([sidecar, stopped], [w.service], lambda _: ["model", "sidecar"])

    assert plan.adopt == () and {r.container_id for r in plan.remove} == {
        "c1-sidecar",
        "c1-model",
    }


def test_adopted_tasks_run_again_without_replacements_and_the_service_settles() -> None:
    w = World(desired=2, load_balanced=True)
    plan = plan_adoption([found(1), found(2)], [w.service], names)
    for t in plan.adopt:
        w.scheduler.adopt(t.task_arn, t.deployment_id, t.started_at, t.container_ids)

    actions = w.step()

    assert not [a for a in actions if isinstance(a, StartTask)]
    assert [type(a) for a in actions] == [AdoptTask, RegisterTarget, AdoptTask, RegisterTarget]
    assert w.service.running_count == 2
    task = w.scheduler.task(found(1).task_arn)
    assert task.started_at == T0 - 100 and task.containers[0].runtime_id == "c1"
    w.step([TargetHealthChanged(t.task_arn, TG_ARN, True) for t in plan.adopt])
    assert stable(w)
    assert {t.task_arn for t in w.live()} == {found(1).task_arn, found(2).task_arn}


def test_a_rollout_in_progress_carries_on_from_the_adopted_old_tasks() -> None:
    w = World(desired=2)
    w.update(task_definition=td(2))  # replayed: the rollout to revision 2 never started
    plan = plan_adoption([found(1), found(2)], [w.service], names)
    for t in plan.adopt:
        w.scheduler.adopt(t.task_arn, t.deployment_id, t.started_at, t.container_ids)

    w.run_until_stable()

    assert w.service.primary.rollout_state is RolloutState.COMPLETED
    assert {t.task_definition_arn for t in w.live()} == {td(2).arn}
    stopped = {t.task_arn for t in w.scheduler.tasks if t.last_status.value == "STOPPED"}
    assert stopped == {found(1).task_arn, found(2).task_arn}
