"""The docker runtime's side of a restart, against a fake Docker client: ``left_behind``
reads what a previous emulator's task containers carry, ``adopt_task`` watches them as
if it had started them (health checks, the essential container's exit), and containers
nobody adopts are removed while adopted ones are kept."""

from __future__ import annotations

import queue
from typing import Any

from harness.ecs.domain import Task, TaskDefinitionSpec
from harness.ecs.runtime.docker_runtime import DockerTaskRuntime
from harness.ecs.scheduler.actions import AdoptTask, HealthCheckSchedule
from harness.ecs.scheduler.adoption_plan import FoundContainer
from harness.ecs.scheduler.observations import ContainerHealthCheckResult, TaskStopped
from tests.ecs.runtime.test_docker_runtime import FakeContainer, FakeDocker

ARN = "arn:aws:ecs:us-east-1:000000000000:task/c/0123456789abcdef0123456789abcdef"
OTHER = "arn:aws:ecs:us-east-1:000000000000:task/c/fedcba9876543210fedcba9876543210"
TD = "arn:aws:ecs:us-east-1:000000000000:task-definition/web:3"
#: The restarted emulator's stable identity (DRYDOCK_EMULATOR_OWNER in compose).
OWNER = "drydock-ecs"


def left(
    name: str, task_arn: str, *, running: bool = True, owner: str = OWNER, **extra: str
) -> FakeContainer:
    container = FakeContainer(name, [])
    container.status = "running" if running else "exited"  # type: ignore[attr-defined]
    container.labels = {  # type: ignore[attr-defined]
        "drydock.project": "p",
        "drydock.emulator": "task",
        "drydock.emulator-owner": owner,
        "drydock.cluster": "arn:cluster/c",
        "drydock.service": "web",
        "drydock.task-arn": task_arn,
        "drydock.task-definition": TD,
        "drydock.started-at": "1700000000.250",
        "drydock.container": "app",
        **{f"drydock.{k.replace('_', '-')}": v for k, v in extra.items()},
    }
    return container


class LeftBehindDocker(FakeDocker):
    """A Docker engine holding task containers an emulator that is gone left running."""

    def __init__(self, containers: list[FakeContainer], health_runs: list[int]) -> None:
        super().__init__(health_runs)
        for container in containers:
            container.health_runs = health_runs
            self.made[container.name] = container
        self.listed: list[dict[str, Any]] = []

    def list(self, **kwargs: Any) -> list[FakeContainer]:
        self.listed.append(kwargs)
        return [c for c in self.made.values() if not c.removed]


def runtime_over(fake: FakeDocker) -> tuple[DockerTaskRuntime, queue.Queue[Any]]:
    observations: queue.Queue[Any] = queue.Queue()
    runtime = DockerTaskRuntime(lambda: fake, observations, network="net", project="p")
    runtime.owner = OWNER
    return runtime, observations


def test_left_behind_reads_each_task_container_from_its_labels() -> None:
    kept = left("kept", ARN, deployment_id="ecs-svc/1234567890123456789")
    dead = left("dead", OTHER, running=False)
    fake = LeftBehindDocker([kept, dead], [])
    runtime, _ = runtime_over(fake)
    found = runtime.left_behind()
    assert found == [
        FoundContainer(
            container_id="id-kept",
            running=True,
            task_arn=ARN,
            cluster_arn="arn:cluster/c",
            service_name="web",
            task_definition_arn=TD,
            container_name="app",
            started_at=1700000000.25,
            deployment_id="ecs-svc/1234567890123456789",
        ),
        FoundContainer("id-dead", False, OTHER, "arn:cluster/c", "web", TD, "app", 1700000000.25),
    ]
    # only this project's task containers are asked for
    assert "drydock.project=p" in fake.listed[0]["filters"]["label"]
    assert "drydock.emulator=task" in fake.listed[0]["filters"]["label"]
    assert runtime.left_behind_ip("id-kept") == "172.18.0.9"
    runtime.close(keep_tasks=True)


def test_a_live_emulators_containers_elsewhere_are_not_left_behind() -> None:
    theirs = left("theirs", ARN, owner="another-host:99")
    runtime, _ = runtime_over(LeftBehindDocker([theirs], []))
    assert runtime.left_behind() == []
    runtime.close(keep_tasks=True)


def test_an_adopted_task_is_watched_and_the_rest_removed() -> None:
    kept, stray = left("kept", ARN), left("stray", OTHER)
    fake = LeftBehindDocker([kept, stray], health_runs=[0, 1])
    runtime, observations = runtime_over(fake)
    runtime.left_behind()
    spec = TaskDefinitionSpec.from_document(
        TD,
        {"containerDefinitions": [{"name": "app", "image": "app:1", "portMappings": [
            {"containerPort": 8080}]}]},
    )  # fmt: skip
    task = Task(
        task_arn=ARN,
        task_definition_arn=TD,
        cluster_arn="arn:cluster/c",
        deployment_id="ecs-svc/1234567890123456789",
        group="service:web",
        created_at=1700000000.0,
    )
    check = HealthCheckSchedule("app", ("CMD-SHELL", "true"), interval=0.01, timeout=0.5)
    runtime.adopt_task(AdoptTask(task, spec, {"app": "id-kept"}, (check,)))
    runtime.remove_containers(["id-stray"])
    assert stray.removed and not kept.removed
    # nothing was started: the runtime took the running container as it was
    assert fake.run_kwargs == {}
    assert runtime.address(ARN, "app") == "172.18.0.9"
    assert observations.get(timeout=5) == ContainerHealthCheckResult(ARN, "app", True)
    assert observations.get(timeout=5) == ContainerHealthCheckResult(ARN, "app", False)
    kept.exit_code = 137
    kept.exited.set()
    stopped = next(
        o for o in iter(lambda: observations.get(timeout=5), None) if isinstance(o, TaskStopped)
    )
    assert stopped.task_arn == ARN and stopped.exit_code == 137
    runtime.close(keep_tasks=True)
