"""ListContainerInstances and DescribeContainerInstances: the engine as each cluster's one
instance (see ``container_instances``)."""

from __future__ import annotations

from typing import Any

from harness.ecs.control_plane.pagination import paginate, with_token
from harness.ecs.control_plane.plane import ControlPlane


def list_container_instances(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    cluster = cp.clusters.require_active(req.get("cluster"))
    instances = cp.container_instances
    found = [] if instances.registered is None else [instances.instance_arn(cluster.name)]
    if req.get("status") not in (None, "ACTIVE"):
        found = []
    page, token = paginate(found, req)
    return with_token({"containerInstanceArns": page}, token)


def describe_container_instances(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    cluster = cp.clusters.require_active(req.get("cluster"))
    instances = cp.container_instances
    found, failures = [], []
    for ref in req["containerInstances"]:
        known = instances.registered is not None and ref in (
            instances.instance_arn(cluster.name),
            instances.instance_id(cluster.name),
        )
        if known:
            found.append(instances.describe(cluster.name))
        else:
            failures.append({"arn": ref, "reason": "MISSING"})
    return {"containerInstances": found, "failures": failures}


def cluster_capacity(cp: ControlPlane, cluster: str, include: list[str]) -> dict[str, Any]:
    """The ``Cluster`` members the engine's capacity fills in (DescribeClusters)."""
    instances = cp.container_instances
    out: dict[str, Any] = {"registeredContainerInstancesCount": instances.count(cluster)}
    if "STATISTICS" in include:
        out["statistics"] = instances.statistics(cluster)
    return out
