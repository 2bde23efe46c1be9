"""A restarted emulator keeps its services' deployments: their ids and COMPLETED state.

The control plane runs the real ``ServiceScheduler`` on a fake clock, with tasks that
start (``TaskRunning``) or crash (``TaskStopped``) when told; the journal is replayed
into a second control plane as a restart does. Kept ids let adopted tasks rejoin their
own deployment; kept COMPLETED gives the circuit breaker something to roll back to.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.ecs import events as ev
from harness.ecs.control_plane import ControlPlane
from harness.ecs.control_plane.ecs_operations import ECS_OPERATIONS
from harness.ecs.control_plane.journal import Journal
from harness.ecs.control_plane.scheduler_adapter import service_scheduler_factory
from harness.ecs.domain import (
    Deployment,
    DeploymentStatus,
    RolloutState,
    Service,
    ServiceStatus,
)
from harness.ecs.scheduler.actions import StartTask
from harness.ecs.scheduler.adoption_plan import FoundContainer, plan_adoption
from harness.ecs.scheduler.ids import ReplayedIds
from harness.ecs.scheduler.observations import TaskRunning, TaskStopped
from tests.ecs.conftest import FakeClock

OPS = {op.__name__: op for op in ECS_OPERATIONS.values()}


class Incarnation:
    """One emulator lifetime: control plane, event bus, journal; tasks simulated."""

    def __init__(self, journal: Path, clock: FakeClock) -> None:
        self.clock = clock
        self.bus = ev.EventBus()
        self.events: list[ev.ServiceEventBase] = []
        self.bus.subscribe(self.events.append)
        ids = ReplayedIds()
        factory = service_scheduler_factory(clock, bus=self.bus, ids=ids)
        self.plane = ControlPlane(clock=clock.now, scheduler_factory=factory)
        self.journal = Journal(journal)
        self.journal.replay(self.plane, ids)
        self.plane.recorder = self.journal.record
        self.bus.subscribe(self.journal.record_event)

    def call(self, op: str, **request: Any) -> dict[str, Any]:
        return self.plane.call(OPS[op], request)

    @property
    def service(self) -> Service:
        return next(h.service for h in self.plane.schedulers())

    def run(self, seconds: float, *, crash: bool = False) -> None:
        """Step every scheduler each simulated second; started tasks run (or crash)."""
        for _ in range(int(seconds)):
            for handle in self.plane.schedulers():
                actions = handle.step()
                while started := [a for a in actions if isinstance(a, StartTask)]:
                    actions = handle.step([self._answer(a, crash) for a in started])
            self.clock.t += 1

    @staticmethod
    def _answer(start: StartTask, crash: bool) -> TaskRunning | TaskStopped:
        arn = start.task.task_arn
        if crash:
            return TaskStopped(arn, exit_code=1, reason="Essential container exited")
        return TaskRunning(arn, (("app", "c-" + arn[-6:]),))


def set_up(first: Incarnation) -> None:
    first.call("create_cluster", clusterName="c")
    for image in ("app:1", "app:2"):
        first.call(
            "register_task_definition",
            family="web",
            containerDefinitions=[{"name": "app", "image": image, "memory": 64}],
        )
    first.call(
        "create_service",
        cluster="c",
        serviceName="web",
        taskDefinition="web:1",
        desiredCount=2,
        deploymentConfiguration={
            "minimumHealthyPercent": 100,
            "maximumPercent": 200,
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        },
    )


def deployments(service: Service) -> list[tuple[str, str, str]]:
    return [(d.id, d.status.value, d.rollout_state.value) for d in service.deployments]


def test_a_restart_keeps_deployment_ids_and_completed(tmp_path: Path) -> None:
    clock = FakeClock()
    first = Incarnation(tmp_path / "journal.jsonl", clock)
    set_up(first)
    first.run(120)
    completed = first.service.primary
    assert completed.rollout_state is RolloutState.COMPLETED
    first.call("update_service", cluster="c", service="web", taskDefinition="web:2")
    before = deployments(first.service)
    assert [s for _, s, _ in before] == ["PRIMARY", "ACTIVE"]

    second = Incarnation(tmp_path / "journal.jsonl", clock)
    assert deployments(second.service) == before
    assert second.service.deployments[1].rollout_state is RolloutState.COMPLETED
    assert second.service.deployments[1].id == completed.id


def test_after_a_restart_a_failed_deployment_rolls_back_to_the_completed_one(
    tmp_path: Path,
) -> None:
    clock = FakeClock()
    first = Incarnation(tmp_path / "journal.jsonl", clock)
    set_up(first)
    first.run(120)
    good = first.service.primary.id

    second = Incarnation(tmp_path / "journal.jsonl", clock)
    assert second.service.primary.id == good
    assert second.service.primary.rollout_state is RolloutState.COMPLETED
    second.call("update_service", cluster="c", service="web", taskDefinition="web:2")
    second.run(120, crash=True)  # every task of web:2 crashes: the breaker trips
    rolling_back = [e for e in second.events if isinstance(e, ev.RollingBack)]
    assert rolling_back and rolling_back[0].rollback_deployment_id == good
    assert second.service.primary.id == good


def test_without_a_recorded_id_replay_still_works_with_a_fresh_one(tmp_path: Path) -> None:
    # journals written before deployment ids were kept have no deploymentId on their lines
    journal = tmp_path / "journal.jsonl"
    clock = FakeClock()
    first = Incarnation(journal, clock)
    set_up(first)
    old_id = first.service.primary.id
    journal.write_text(journal.read_text().replace(f', "deploymentId": "{old_id}"', ""))
    second = Incarnation(journal, clock)
    assert second.service.primary.id != old_id
    assert second.service.primary.id.startswith("ecs-svc/")


def test_adoption_puts_a_task_back_in_its_own_deployment_of_the_same_revision() -> None:
    # forceNewDeployment: two deployments of one task definition; the label decides
    service = Service(
        service_name="web",
        service_arn="arn:aws:ecs:us-east-1:000000000000:service/c/web",
        cluster_arn="arn:cluster/c",
        task_definition="arn:td/web:1",
        desired_count=1,
        status=ServiceStatus.ACTIVE,
    )
    for dep_id, status in (("ecs-svc/2", DeploymentStatus.PRIMARY), ("ecs-svc/1", "ACTIVE")):
        service.deployments.append(
            Deployment(
                id=dep_id,
                status=DeploymentStatus(status),
                task_definition="arn:td/web:1",
                desired_count=1,
                created_at=0.0,
                updated_at=0.0,
            )
        )

    def container(name: str, deployment_id: str | None) -> FoundContainer:
        return FoundContainer(
            f"id-{name}", True, f"arn:task/c/{name}", "arn:cluster/c", "web", "arn:td/web:1",
            "app", 1.0, deployment_id,
        )  # fmt: skip

    plan = plan_adoption(
        [container("old", "ecs-svc/1"), container("new", "ecs-svc/2"), container("legacy", None)],
        [service],
        lambda arn: ["app"],
    )
    joined = {t.task_arn.rsplit("/", 1)[-1]: t.deployment_id for t in plan.adopt}
    assert joined == {"old": "ecs-svc/1", "new": "ecs-svc/2", "legacy": "ecs-svc/2"}
