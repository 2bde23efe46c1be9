"""AWS's service quotas, checked before an operation changes anything.

AWS refuses a request that would take an account past a quota (services per cluster,
tasks per service, target groups ...) with an error, and nothing is created. The
emulator must too: it is a single machine, and a quota is the first thing that stands
between a generated ``desiredCount`` of 10**12 and the machine's memory. Each quota
defaults to AWS's documented value (Amazon ECS service quotas; Quotas for your
Application Load Balancers) and is a ``DRYDOCK_QUOTA_*`` setting. Error shapes are the
ones botocore's models list for the operation where one exists; where ECS's model names
none for a quota (clusters, services per cluster), ``LimitExceededException``, ECS's
shape for "the limit for the resource was exceeded".

The checks only read the control plane; :meth:`Quotas.check` runs under its lock from
:meth:`ControlPlane.call`, before the operation, so a refused request changes nothing
and is never journaled.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness.ecs.control_plane.errors import (
    ClientException,
    InvalidParameterException,
    LimitExceededException,
    TooManyListeners,
    TooManyLoadBalancers,
    TooManyRules,
    TooManyTags,
    TooManyTargetGroups,
    TooManyTargets,
)

if TYPE_CHECKING:
    from harness.ecs.control_plane.plane import ControlPlane
    from harness.settings import DrydockSettings


@dataclass(frozen=True)
class Quotas:
    """The quota values in force; defaults are AWS's (per account and Region)."""

    clusters: int = 10_000
    services_per_cluster: int = 5_000
    tasks_per_service: int = 5_000
    containers_per_task_definition: int = 10
    task_definition_bytes: int = 65_536
    tags_per_resource: int = 50
    load_balancers: int = 50
    target_groups: int = 3_000
    targets_per_target_group: int = 1_000
    listeners_per_load_balancer: int = 50
    rules_per_load_balancer: int = 100

    @classmethod
    def from_settings(cls, settings: DrydockSettings) -> Quotas:
        return cls(
            clusters=settings.quota_clusters,
            services_per_cluster=settings.quota_services_per_cluster,
            tasks_per_service=settings.quota_tasks_per_service,
            containers_per_task_definition=settings.quota_containers_per_task_definition,
            task_definition_bytes=settings.quota_task_definition_bytes,
            tags_per_resource=settings.quota_tags_per_resource,
            load_balancers=settings.quota_load_balancers,
            target_groups=settings.quota_target_groups,
            targets_per_target_group=settings.quota_targets_per_target_group,
            listeners_per_load_balancer=settings.quota_listeners_per_load_balancer,
            rules_per_load_balancer=settings.quota_rules_per_load_balancer,
        )

    def check(self, cp: ControlPlane, operation: str, request: dict[str, Any]) -> None:
        """Raise the AWS error for the first quota ``request`` would exceed, if any.

        ``operation`` is the control-plane function's name (``create_service``).
        References that do not resolve are left to the operation, which names them.
        """
        checker = _CHECKS.get(operation)
        if checker is not None:
            checker(self, cp, request)


# --- ECS ------------------------------------------------------------------------------


def _ecs_tags(quotas: Quotas, request: dict[str, Any]) -> None:
    tags = request.get("tags") or []
    if len(tags) > quotas.tags_per_resource:
        raise InvalidParameterException(
            f"tags can have at most {quotas.tags_per_resource} items; the request has {len(tags)}."
        )


def _desired_count(quotas: Quotas, request: dict[str, Any]) -> None:
    desired = request.get("desiredCount")
    if isinstance(desired, int) and desired > quotas.tasks_per_service:
        raise InvalidParameterException(
            f"Desired count exceeds limit. desiredCount {desired} is over the tasks per "
            f"service quota ({quotas.tasks_per_service})."
        )


def _create_cluster(quotas: Quotas, cp: ControlPlane, request: dict[str, Any]) -> None:
    _ecs_tags(quotas, request)
    existing = cp.clusters.get(request.get("clusterName") or "default")
    if existing is not None and existing.status == "ACTIVE":
        return  # CreateCluster of an existing cluster creates nothing
    if len(cp.clusters.active()) >= quotas.clusters:
        raise LimitExceededException(
            f"The limit for the resource was exceeded: clusters per account ({quotas.clusters})."
        )


def _register_task_definition(quotas: Quotas, cp: ControlPlane, request: dict[str, Any]) -> None:
    _ecs_tags(quotas, request)
    containers = request.get("containerDefinitions") or []
    if len(containers) > quotas.containers_per_task_definition:
        raise ClientException(
            f"Too many containers: the task definition has {len(containers)}; the containers "
            f"per task definition quota is {quotas.containers_per_task_definition}."
        )
    size = len(json.dumps(request, separators=(",", ":"), default=str).encode())
    limit = quotas.task_definition_bytes
    if size > limit:
        raise ClientException(f"Actual length: '{size}'. Max allowed length is '{limit}' bytes.")


def _create_service(quotas: Quotas, cp: ControlPlane, request: dict[str, Any]) -> None:
    _ecs_tags(quotas, request)
    _desired_count(quotas, request)
    cluster = cp.clusters.get(request.get("cluster") or "default")
    if cluster is None:
        return
    live = [e for e in cp.services.in_cluster(cluster.name) if e.status != "INACTIVE"]
    if len(live) >= quotas.services_per_cluster:
        raise LimitExceededException(
            "The limit for the resource was exceeded: services per cluster "
            f"({quotas.services_per_cluster}) in cluster '{cluster.name}'."
        )


def _update_service(quotas: Quotas, cp: ControlPlane, request: dict[str, Any]) -> None:
    _desired_count(quotas, request)


# --- ELBv2 ----------------------------------------------------------------------------


def _elb_tags(quotas: Quotas, request: dict[str, Any]) -> None:
    tags = request.get("Tags") or []
    if len(tags) > quotas.tags_per_resource:
        raise TooManyTags(
            "You've reached the limit on the number of tags for this resource "
            f"({quotas.tags_per_resource}); the request has {len(tags)}."
        )


def _create_load_balancer(quotas: Quotas, cp: ControlPlane, request: dict[str, Any]) -> None:
    _elb_tags(quotas, request)
    names = {lb.name for lb in cp.elbv2.load_balancers.values()}
    if request.get("Name") in names:
        return  # the operation answers for an existing name
    if len(names) >= quotas.load_balancers:
        raise TooManyLoadBalancers(
            "You've reached the limit on the number of load balancers for your AWS account "
            f"({quotas.load_balancers})."
        )


def _create_target_group(quotas: Quotas, cp: ControlPlane, request: dict[str, Any]) -> None:
    _elb_tags(quotas, request)
    if len(cp.elbv2.target_groups) >= quotas.target_groups:
        raise TooManyTargetGroups(
            "You've reached the limit on the number of target groups for your AWS account "
            f"({quotas.target_groups})."
        )


def _register_targets(quotas: Quotas, cp: ControlPlane, request: dict[str, Any]) -> None:
    group = cp.elbv2.target_groups.get(request.get("TargetGroupArn", ""))
    if group is None:
        return
    keys = {(t.get("Id"), t.get("Port", group.port)) for t in request.get("Targets") or []}
    total = len(group.targets) + len(keys - set(group.targets))
    if total > quotas.targets_per_target_group:
        raise TooManyTargets(
            "You've reached the limit on the number of targets: targets per target group "
            f"({quotas.targets_per_target_group}); registering these would make {total}."
        )


def _create_listener(quotas: Quotas, cp: ControlPlane, request: dict[str, Any]) -> None:
    _elb_tags(quotas, request)
    balancer = cp.elbv2.load_balancers.get(request.get("LoadBalancerArn", ""))
    if balancer is not None and len(balancer.listeners) >= quotas.listeners_per_load_balancer:
        raise TooManyListeners(
            "You've reached the limit on the number of listeners per load balancer "
            f"({quotas.listeners_per_load_balancer}) on '{balancer.name}'."
        )


def _create_rule(quotas: Quotas, cp: ControlPlane, request: dict[str, Any]) -> None:
    """Rules per load balancer, not counting default rules (ALB's quota: 100)."""
    _elb_tags(quotas, request)
    balancer = next(
        (
            lb
            for lb in cp.elbv2.load_balancers.values()
            if request.get("ListenerArn") in lb.listeners
        ),
        None,
    )
    if balancer is None:
        return
    count = sum(len(listener.rules) for listener in balancer.listeners.values())
    if count >= quotas.rules_per_load_balancer:
        raise TooManyRules(
            "You've reached the limit on the number of rules per load balancer "
            f"({quotas.rules_per_load_balancer}) on '{balancer.name}'."
        )


_Check = Callable[[Quotas, "ControlPlane", dict[str, Any]], None]

_CHECKS: dict[str, _Check] = {
    "create_cluster": _create_cluster,
    "register_task_definition": _register_task_definition,
    "create_service": _create_service,
    "update_service": _update_service,
    "create_load_balancer": _create_load_balancer,
    "create_target_group": _create_target_group,
    "register_targets": _register_targets,
    "create_listener": _create_listener,
    "create_rule": _create_rule,
}
