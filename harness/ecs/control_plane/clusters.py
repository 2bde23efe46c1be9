"""Clusters: named containers for services and tasks. No capacity to manage here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from harness.ecs.control_plane import arns
from harness.ecs.control_plane.errors import (
    ClusterContainsServicesException,
    ClusterNotFoundException,
    InvalidParameterException,
)

DEFAULT_CLUSTER = "default"


@dataclass
class Cluster:
    name: str
    created_at: datetime
    status: str = "ACTIVE"
    tags: list[dict[str, str]] = field(default_factory=list)
    settings: list[dict[str, str]] = field(default_factory=list)

    @property
    def arn(self) -> str:
        return arns.cluster_arn(self.name)


class ClusterRegistry:
    """Clusters by name. Deleted clusters stay describable as INACTIVE, as in AWS.

    Not locked itself: the :class:`~harness.ecs.control_plane.ControlPlane` holds the
    one lock around every call, so multi-registry operations stay atomic.
    """

    def __init__(self) -> None:
        self._clusters: dict[str, Cluster] = {}

    def create(
        self,
        name: str | None,
        now: datetime,
        tags: list[dict[str, str]] | None = None,
        settings: list[dict[str, str]] | None = None,
    ) -> Cluster:
        name = name or DEFAULT_CLUSTER
        if not _valid_name(name):
            raise InvalidParameterException(
                f"Cluster name '{name}' is invalid: up to 255 letters (uppercase and "
                "lowercase), numbers, underscores, and hyphens are allowed."
            )
        existing = self._clusters.get(name)
        if existing is not None and existing.status == "ACTIVE":
            return existing  # CreateCluster is idempotent in AWS
        cluster = Cluster(
            name=name, created_at=now, tags=list(tags or []), settings=list(settings or [])
        )
        self._clusters[name] = cluster
        return cluster

    def get(self, name_or_arn: str | None) -> Cluster | None:
        return self._clusters.get(arns.name_from_arn_or_name(name_or_arn or DEFAULT_CLUSTER))

    def require_active(self, name_or_arn: str | None) -> Cluster:
        """The cluster a request targets; ECS answers ClusterNotFoundException otherwise."""
        cluster = self.get(name_or_arn)
        if cluster is None or cluster.status != "ACTIVE":
            raise ClusterNotFoundException(
                f"Cluster not found: '{name_or_arn or DEFAULT_CLUSTER}'."
            )
        return cluster

    def active(self) -> list[Cluster]:
        return [c for c in self._clusters.values() if c.status == "ACTIVE"]

    def delete(self, name_or_arn: str, active_services: int) -> Cluster:
        cluster = self.require_active(name_or_arn)
        if active_services:
            raise ClusterContainsServicesException(
                f"The cluster '{cluster.name}' cannot be deleted while it has "
                f"{active_services} active or draining service(s). Delete them first."
            )
        cluster.status = "INACTIVE"
        return cluster


def _valid_name(name: str) -> bool:
    return 0 < len(name) <= 255 and all(c.isalnum() or c in "-_" for c in name) and name.isascii()


def describe_cluster(cluster: Cluster, counts: dict[str, int]) -> dict[str, Any]:
    """The ``Cluster`` shape. ``counts`` gives running/pending tasks and active services."""
    return {
        "clusterArn": cluster.arn,
        "clusterName": cluster.name,
        "status": cluster.status,
        "registeredContainerInstancesCount": 0,
        "runningTasksCount": counts.get("running", 0),
        "pendingTasksCount": counts.get("pending", 0),
        "activeServicesCount": counts.get("services", 0),
        "statistics": [],
        "tags": cluster.tags,
        "settings": cluster.settings,
        "capacityProviders": [],
        "defaultCapacityProviderStrategy": [],
    }
