"""Services: the registry of scheduler handles, plus the request rules AWS applies.

The control plane validates a CreateService/UpdateService (cluster, task definition,
load balancers, deployment configuration), builds the domain objects and hands them to
the scheduler; from then on the scheduler owns deployments, tasks and events and this
module only reads them back (``describe_*``) in AWS's shapes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from harness.ecs.control_plane import arns
from harness.ecs.control_plane.deployment_strategies import (
    advanced_configuration,
    describe_load_balancer,
    describe_strategy,
    strategy_fields,
)
from harness.ecs.control_plane.elbv2.registry import Elbv2Registry
from harness.ecs.control_plane.errors import (
    ClientException,
    InvalidParameterException,
    ServiceNotActiveException,
    ServiceNotFoundException,
)
from harness.ecs.control_plane.listener_rules import find_listener_rule
from harness.ecs.control_plane.scheduler_handle import SchedulerHandle
from harness.ecs.control_plane.task_definitions import TaskDefinition
from harness.ecs.domain import (
    DeploymentCircuitBreaker,
    DeploymentConfiguration,
    ServiceLoadBalancer,
    ServiceStatus,
    Task,
)


@dataclass
class ServiceEntry:
    """A service's scheduler handle plus request fields the scheduler has no use for."""

    cluster: str
    handle: SchedulerHandle
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.handle.service.service_name

    @property
    def status(self) -> str:
        return str(self.handle.service.status)


class ServiceRegistry:
    """Services by (cluster, name); a deleted name can be reused once INACTIVE."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], list[ServiceEntry]] = {}

    def add(self, entry: ServiceEntry) -> None:
        history = self._entries.setdefault((entry.cluster, entry.name), [])
        if history and history[-1].status != ServiceStatus.INACTIVE:
            raise InvalidParameterException(
                f"Creation of service was not idempotent: service '{entry.name}' already "
                f"exists in cluster '{entry.cluster}'."
            )
        history.append(entry)

    def ensure_name_free(self, cluster: str, name: str) -> None:
        history = self._entries.get((cluster, name))
        if history and history[-1].status != ServiceStatus.INACTIVE:
            raise InvalidParameterException(
                f"Creation of service was not idempotent: service '{name}' already exists "
                f"in cluster '{cluster}' with status {history[-1].status}."
            )

    def find(self, cluster: str, name_or_arn: str) -> ServiceEntry | None:
        history = self._entries.get((cluster, arns.name_from_arn_or_name(name_or_arn)))
        return history[-1] if history else None

    def require(self, cluster: str, name_or_arn: str) -> ServiceEntry:
        entry = self.find(cluster, name_or_arn)
        if entry is None:
            raise ServiceNotFoundException(
                f"Service not found: '{name_or_arn}' in cluster '{cluster}'."
            )
        return entry

    def require_active(self, cluster: str, name_or_arn: str) -> ServiceEntry:
        entry = self.require(cluster, name_or_arn)
        if entry.status != ServiceStatus.ACTIVE:
            raise ServiceNotActiveException(
                f"Service was not ACTIVE: '{entry.name}' is {entry.status}."
            )
        return entry

    def in_cluster(self, cluster: str) -> Iterator[ServiceEntry]:
        """The latest entry of every service name in a cluster, oldest first."""
        for (c, _), history in self._entries.items():
            if c == cluster:
                yield history[-1]

    def handles(self) -> Iterator[SchedulerHandle]:
        for history in self._entries.values():
            yield history[-1].handle

    def tasks(self, cluster: str) -> Iterator[tuple[ServiceEntry, Task]]:
        for entry in self.in_cluster(cluster):
            for task in entry.handle.tasks:
                yield entry, task


# --- request rules --------------------------------------------------------------------


def deployment_configuration(
    request: dict[str, Any] | None, base: DeploymentConfiguration | None = None
) -> DeploymentConfiguration:
    """Merge a request's ``deploymentConfiguration`` over ``base`` and check its bounds."""
    base = base or DeploymentConfiguration()
    request = request or {}
    breaker = request.get("deploymentCircuitBreaker")
    config = DeploymentConfiguration(
        maximum_percent=request.get("maximumPercent", base.maximum_percent),
        minimum_healthy_percent=request.get("minimumHealthyPercent", base.minimum_healthy_percent),
        deployment_circuit_breaker=DeploymentCircuitBreaker(
            enable=breaker["enable"], rollback=breaker["rollback"]
        )
        if breaker
        else base.deployment_circuit_breaker,
        **strategy_fields(request, base),
    )
    if not 0 <= config.minimum_healthy_percent <= 100:
        raise InvalidParameterException(
            "deploymentConfiguration.minimumHealthyPercent must be between 0 and 100, "
            f"not {config.minimum_healthy_percent}."
        )
    if config.maximum_percent < 100:
        raise InvalidParameterException(
            "deploymentConfiguration.maximumPercent must be at least 100 for a REPLICA "
            f"service with the ECS deployment controller, not {config.maximum_percent}."
        )
    return config


def load_balancers(
    requested: list[dict[str, Any]], definition: TaskDefinition, elbv2: Elbv2Registry
) -> tuple[ServiceLoadBalancer, ...]:
    """Check each ``loadBalancers[]`` entry the way ECS does, naming what is wrong."""
    found = []
    for lb in requested:
        tg_arn = lb.get("targetGroupArn")
        if not tg_arn:
            raise InvalidParameterException(
                "loadBalancers[].targetGroupArn is required: Drydock emulates ALB/NLB "
                "target groups only (no Classic Load Balancer loadBalancerName)."
            )
        group = elbv2.target_groups.get(tg_arn)
        if group is None:
            raise InvalidParameterException(f"Unable to find target group '{tg_arn}'.")
        if not group.load_balancer_arns:
            raise InvalidParameterException(
                f"The target group with targetGroupArn {tg_arn} does not have an associated "
                "load balancer."
            )
        name, port = lb.get("containerName"), lb.get("containerPort")
        if not name or port is None:
            raise InvalidParameterException(
                "loadBalancers[] needs containerName and containerPort."
            )
        container = definition.container(name)
        if container is None:
            raise InvalidParameterException(
                f"The container {name} does not exist in the task definition {definition.arn}."
            )
        ports = [m.get("containerPort") for m in container.get("portMappings", [])]
        if port not in ports:
            raise InvalidParameterException(
                f"The container {name} did not have a container port {port} defined "
                f"(its portMappings have {ports})."
            )
        advanced = advanced_configuration(
            lb.get("advancedConfiguration"),
            tg_arn,
            group.load_balancer_arns,
            lambda arn: arn in elbv2.target_groups,
            lambda arn: find_listener_rule(elbv2, arn),
        )
        found.append(
            ServiceLoadBalancer(
                target_group_arn=tg_arn,
                container_name=name,
                container_port=port,
                advanced_configuration=advanced,
            )
        )
    return tuple(found)


def check_desired_count(count: int | None) -> None:
    if count is not None and count < 0:
        raise InvalidParameterException(f"desiredCount must be 0 or more, not {count}.")


def require_task_definition(request: dict[str, Any]) -> str:
    reference = request.get("taskDefinition")
    if not reference:
        raise ClientException("TaskDefinition must be specified (family, family:revision or ARN).")
    return reference


# --- output shapes --------------------------------------------------------------------


def _ts(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, tz=UTC)


def describe_service(entry: ServiceEntry) -> dict[str, Any]:
    """The ``Service`` output shape from the scheduler's domain object."""
    svc = entry.handle.service
    config = svc.deployment_configuration
    out: dict[str, Any] = {
        "serviceArn": svc.service_arn,
        "serviceName": svc.service_name,
        "clusterArn": svc.cluster_arn,
        "loadBalancers": [describe_load_balancer(lb) for lb in svc.load_balancers],
        "serviceRegistries": [],
        "status": str(svc.status),
        "desiredCount": svc.desired_count,
        "runningCount": svc.running_count,
        "pendingCount": svc.pending_count,
        "launchType": svc.launch_type,
        "taskDefinition": svc.task_definition,
        "deploymentConfiguration": describe_deployment_configuration(config),
        "deployments": [describe_deployment(d) for d in svc.deployments],
        "events": [
            {"id": e.id, "createdAt": _ts(e.created_at), "message": e.message} for e in svc.events
        ],
        "createdAt": _ts(svc.created_at),
        "placementConstraints": [],
        "placementStrategy": [],
        "schedulingStrategy": "REPLICA",
        "deploymentController": {"type": "ECS"},
        "createdBy": f"arn:aws:iam::{arns.ACCOUNT_ID}:root",
        "enableECSManagedTags": entry.extras.get("enableECSManagedTags", False),
        "propagateTags": entry.extras.get("propagateTags", "NONE"),
        "enableExecuteCommand": False,
    }
    if svc.load_balancers or svc.health_check_grace_period_seconds:
        out["healthCheckGracePeriodSeconds"] = int(svc.health_check_grace_period_seconds)
    for key in ("networkConfiguration", "tags", "platformVersion"):
        if key in entry.extras:
            out[key] = entry.extras[key]
    return out


def describe_deployment_configuration(config: DeploymentConfiguration) -> dict[str, Any]:
    """``deploymentConfiguration`` as DescribeServices (and a service deployment) shows it."""
    breaker = config.deployment_circuit_breaker
    return {
        "deploymentCircuitBreaker": {"enable": breaker.enable, "rollback": breaker.rollback},
        "maximumPercent": config.maximum_percent,
        "minimumHealthyPercent": config.minimum_healthy_percent,
        **describe_strategy(config),
    }


def describe_deployment(d: Any) -> dict[str, Any]:
    out = {
        "id": d.id,
        "status": str(d.status),
        "taskDefinition": d.task_definition,
        "desiredCount": d.desired_count,
        "pendingCount": d.pending_count,
        "runningCount": d.running_count,
        "failedTasks": d.failed_tasks,
        "createdAt": _ts(d.created_at),
        "updatedAt": _ts(d.updated_at),
        "launchType": d.launch_type,
        "rolloutState": str(d.rollout_state),
    }
    if d.rollout_state_reason:
        out["rolloutStateReason"] = d.rollout_state_reason
    return out


def describe_task(task: Task) -> dict[str, Any]:
    """The ``Task`` output shape."""
    out: dict[str, Any] = {
        "taskArn": task.task_arn,
        "taskDefinitionArn": task.task_definition_arn,
        "clusterArn": task.cluster_arn,
        "lastStatus": str(task.last_status),
        "desiredStatus": str(task.desired_status),
        "healthStatus": str(task.health_status),
        "group": task.group,
        "startedBy": task.started_by,
        "launchType": task.launch_type,
        "createdAt": _ts(task.created_at),
        "version": 1,
        "containers": [
            {
                "containerArn": f"{task.task_arn.replace(':task/', ':container/')}/{c.name}",
                "taskArn": task.task_arn,
                "name": c.name,
                "image": c.image,
                "lastStatus": str(c.last_status),
                "healthStatus": str(c.health_status),
                **({"exitCode": c.exit_code} if c.exit_code is not None else {}),
                **({"reason": c.reason} if c.reason else {}),
                **({"runtimeId": c.runtime_id} if c.runtime_id else {}),
            }
            for c in task.containers
        ],
        "attachments": [],
        "tags": [],
    }
    for key, value in (
        ("startedAt", task.started_at),
        ("stoppingAt", task.stopping_at),
        ("stoppedAt", task.stopped_at),
    ):
        if value is not None:
            out[key] = _ts(value)
    if task.stopped_reason:
        out["stoppedReason"] = task.stopped_reason
    if task.stop_code is not None:
        out["stopCode"] = str(task.stop_code)
    return out


def task_matches(
    task: Task, desired_status: str | None, family: str | None, started_by: str | None
) -> bool:
    """ListTasks filters. Without desiredStatus AWS lists tasks that should be RUNNING."""
    if str(task.desired_status) != (desired_status or "RUNNING"):
        return False
    if family and task.task_definition_arn.rsplit("/", 1)[-1].split(":")[0] != family:
        return False
    return not (started_by and task.started_by != started_by)


def count_tasks(tasks: Iterable[Task]) -> dict[str, int]:
    running = pending = 0
    for task in tasks:
        if str(task.last_status) == "RUNNING":
            running += 1
        elif str(task.last_status) in ("PROVISIONING", "PENDING", "ACTIVATING"):
            pending += 1
    return {"running": running, "pending": pending}
