"""Which task containers a restarted emulator takes back, and which it removes.

ECS keeps its tasks running when its control plane restarts. The emulator's services come
back from the journal with their deployment ids, so a container left by the previous
incarnation is matched by what it carries: its cluster, service, task definition ARN and
deployment id. It joins that deployment as a RUNNING task with its own task ARN; a
container without the deployment label (made by an older emulator) joins the service's
deployment of its task definition, the PRIMARY first.

Pure: the runtime reads the containers and hands them here as :class:`FoundContainer`, so
every rule below is tested without an engine. A task is adopted whole or not at all: any
container missing, stopped or unlabelled means the task is removed, as before adoption.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from harness.ecs.domain import DeploymentStatus, Service, ServiceStatus


@dataclass(frozen=True)
class FoundContainer:
    """A task container as the runtime found it at start; None: the label is missing."""

    container_id: str
    running: bool
    task_arn: str | None = None
    cluster_arn: str | None = None
    service_name: str | None = None
    task_definition_arn: str | None = None
    container_name: str | None = None
    #: Epoch seconds the task reached RUNNING (its ``startedAt``), from its labels.
    started_at: float | None = None
    #: The deployment the task was started for (None: an older emulator's container).
    deployment_id: str | None = None


@dataclass(frozen=True)
class AdoptedTask:
    """One task to keep: which service and deployment it joins, and its containers."""

    task_arn: str
    cluster_arn: str
    service_name: str
    deployment_id: str
    task_definition_arn: str
    started_at: float
    #: container name -> docker container id
    container_ids: dict[str, str]


@dataclass(frozen=True)
class RemovedContainer:
    container_id: str
    reason: str


@dataclass(frozen=True)
class AdoptionPlan:
    adopt: tuple[AdoptedTask, ...] = ()
    remove: tuple[RemovedContainer, ...] = ()


#: The container names a registered task definition ARN declares (None: unknown ARN).
ContainerNames = Callable[[str], Collection[str] | None]


def plan_adoption(
    found: Iterable[FoundContainer], services: Iterable[Service], container_names: ContainerNames
) -> AdoptionPlan:
    """Group ``found`` by task, adopt each task that fits an ACTIVE service, remove the rest."""
    by_service = {
        (s.cluster_arn, s.service_name): s for s in services if s.status is ServiceStatus.ACTIVE
    }
    tasks: dict[str, list[FoundContainer]] = {}
    adopt: list[AdoptedTask] = []
    remove: list[RemovedContainer] = []
    for container in found:
        if container.task_arn is None:
            remove.append(RemovedContainer(container.container_id, "no task ARN label"))
        else:
            tasks.setdefault(container.task_arn, []).append(container)
    for task_arn, containers in tasks.items():
        decision = _adopt_task(task_arn, containers, by_service, container_names)
        if isinstance(decision, AdoptedTask):
            adopt.append(decision)
        else:
            remove.extend(RemovedContainer(c.container_id, decision) for c in containers)
    return AdoptionPlan(tuple(adopt), tuple(remove))


def _adopt_task(
    task_arn: str,
    containers: list[FoundContainer],
    services: dict[tuple[str | None, str | None], Service],
    container_names: ContainerNames,
) -> AdoptedTask | str:
    """The task to adopt, or why its containers go."""
    first = containers[0]
    fields = {(c.cluster_arn, c.service_name, c.task_definition_arn) for c in containers}
    if len(fields) != 1 or None in next(iter(fields)) or first.started_at is None:
        return "labels missing or inconsistent"
    if not all(c.running for c in containers):
        return "a container of the task is not running"
    service = services.get((first.cluster_arn, first.service_name))
    if service is None:
        return "its service no longer exists"
    td_arn = first.task_definition_arn
    assert td_arn is not None  # checked with the other labels above
    same_td = [d for d in service.deployments if d.task_definition == td_arn]
    deployment = next((d for d in same_td if d.id == first.deployment_id), None) or next(
        iter(sorted(same_td, key=lambda d: d.status is not DeploymentStatus.PRIMARY)), None
    )
    if deployment is None:
        return f"no deployment of the service runs {td_arn}"
    expected = container_names(td_arn)
    names = {c.container_name for c in containers}
    if expected is None or names != set(expected) or len(names) != len(containers):
        return "its containers do not match the task definition"
    return AdoptedTask(
        task_arn=task_arn,
        cluster_arn=service.cluster_arn,
        service_name=service.service_name,
        deployment_id=deployment.id,
        task_definition_arn=td_arn,
        started_at=first.started_at,
        container_ids={str(c.container_name): c.container_id for c in containers},
    )
