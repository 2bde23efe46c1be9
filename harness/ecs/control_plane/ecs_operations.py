"""ECS operations: validated request in, output shape out. The rules live here.

Each function takes the :class:`ControlPlane` (its lock already held) and the request
as botocore parsed and validated it (camelCase members), and returns the operation's
output shape. ``ECS_OPERATIONS`` maps AWS operation names to them; the protocol layer
looks operations up there and knows nothing else about ECS.
"""

from __future__ import annotations

from typing import Any

from harness.ecs.control_plane import arns
from harness.ecs.control_plane.clusters import describe_cluster
from harness.ecs.control_plane.container_instance_operations import (
    cluster_capacity,
    describe_container_instances,
    list_container_instances,
)
from harness.ecs.control_plane.deployment_strategies import check_strategy_load_balancers
from harness.ecs.control_plane.errors import (
    InvalidParameterException,
    ServiceNotActiveException,
)
from harness.ecs.control_plane.pagination import paginate, with_token
from harness.ecs.control_plane.plane import ControlPlane, Operation
from harness.ecs.control_plane.service_deployment_operations import (
    SERVICE_DEPLOYMENT_OPERATIONS,
    observe_service,
)
from harness.ecs.control_plane.services import (
    ServiceEntry,
    check_desired_count,
    count_tasks,
    deployment_configuration,
    describe_service,
    describe_task,
    load_balancers,
    require_task_definition,
    task_matches,
)
from harness.ecs.control_plane.strategy_migration import check_strategy_migration
from harness.ecs.domain import Service, ServiceLoadBalancer, TaskDefinitionSpec
from harness.ecs.scheduler.target_group_roles import with_production

# --- clusters -------------------------------------------------------------------------


def _cluster_view(cp: ControlPlane, name: str, include: list[str] | None = None) -> dict[str, Any]:
    cluster = cp.clusters.get(name)
    assert cluster is not None
    services = [e for e in cp.services.in_cluster(cluster.name) if e.status == "ACTIVE"]
    counts = count_tasks(t for _, t in cp.services.tasks(cluster.name))
    view = describe_cluster(cluster, {**counts, "services": len(services)})
    return {**view, **cluster_capacity(cp, cluster.name, include or [])}


def create_cluster(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    cluster = cp.clusters.create(
        req.get("clusterName"), cp.now(), req.get("tags"), req.get("settings")
    )
    return {"cluster": _cluster_view(cp, cluster.name)}


def describe_clusters(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    found, failures = [], []
    for ref in req.get("clusters") or ["default"]:
        cluster = cp.clusters.get(ref)
        if cluster is None:
            failures.append(
                {
                    "arn": ref if ref.startswith("arn:") else arns.cluster_arn(ref),
                    "reason": "MISSING",
                }
            )
        else:
            found.append(_cluster_view(cp, cluster.name, req.get("include")))
    return {"clusters": found, "failures": failures}


def list_clusters(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    page, token = paginate([c.arn for c in cp.clusters.active()], req)
    return with_token({"clusterArns": page}, token)


def delete_cluster(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    cluster = cp.clusters.require_active(req["cluster"])
    live = [e for e in cp.services.in_cluster(cluster.name) if e.status != "INACTIVE"]
    cp.clusters.delete(cluster.name, len(live))
    return {"cluster": _cluster_view(cp, cluster.name)}


# --- task definitions -----------------------------------------------------------------


def register_task_definition(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    definition = cp.task_definitions.register(req, cp.now())
    return {"taskDefinition": definition.describe(), "tags": definition.tags}


def describe_task_definition(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    definition = cp.task_definitions.resolve(req["taskDefinition"])
    out: dict[str, Any] = {"taskDefinition": definition.describe()}
    if "TAGS" in (req.get("include") or []):
        out["tags"] = definition.tags
    return out


def list_task_definitions(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    found = cp.task_definitions.list_arns(
        req.get("familyPrefix"), req.get("status"), req.get("sort") == "DESC"
    )
    page, token = paginate(found, req)
    return with_token({"taskDefinitionArns": page}, token)


def list_task_definition_families(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    page, token = paginate(
        cp.task_definitions.families(req.get("familyPrefix"), req.get("status")), req
    )
    return with_token({"families": page}, token)


def deregister_task_definition(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    definition = cp.task_definitions.deregister(req["taskDefinition"], cp.now())
    return {"taskDefinition": definition.describe()}


# --- services -------------------------------------------------------------------------


def create_service(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    cluster = cp.clusters.require_active(req.get("cluster"))
    name = req["serviceName"]
    cp.services.ensure_name_free(cluster.name, name)
    if req.get("schedulingStrategy", "REPLICA") != "REPLICA":
        raise InvalidParameterException("Only the REPLICA scheduling strategy is emulated.")
    controller = (req.get("deploymentController") or {}).get("type", "ECS")
    if controller != "ECS":
        raise InvalidParameterException(
            f"deploymentController {controller} is not emulated; only ECS (rolling update) is."
        )
    definition = cp.task_definitions.resolve(require_task_definition(req))
    desired = req.get("desiredCount", 0)
    check_desired_count(desired)
    service = Service(
        service_name=name,
        service_arn=arns.service_arn(cluster.name, name),
        cluster_arn=cluster.arn,
        task_definition=definition.arn,
        desired_count=desired,
        deployment_configuration=deployment_configuration(req.get("deploymentConfiguration")),
        load_balancers=load_balancers(req.get("loadBalancers") or [], definition, cp.elbv2),
        health_check_grace_period_seconds=float(req.get("healthCheckGracePeriodSeconds", 0)),
        created_at=cp.clock(),
        launch_type=req.get("launchType", "FARGATE"),
    )
    check_strategy_load_balancers(service.deployment_configuration, service.load_balancers)
    spec = TaskDefinitionSpec.from_document(definition.arn, definition.describe())
    extras = {
        k: req[k]
        for k in (
            "networkConfiguration",
            "tags",
            "propagateTags",
            "enableECSManagedTags",
            "platformVersion",
        )
        if k in req
    }
    entry = ServiceEntry(
        cluster=cluster.name, handle=cp.scheduler_factory(service, spec), extras=extras
    )
    cp.services.add(entry)
    observe_service(cp, entry)
    return {"service": describe_service(entry)}


def update_service(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    cluster = cp.clusters.require_active(req.get("cluster"))
    entry = cp.services.require_active(cluster.name, req["service"])
    svc = entry.handle.service
    spec = None
    if req.get("taskDefinition"):
        definition = cp.task_definitions.resolve(req["taskDefinition"])
        load_balancers(
            [
                {
                    "targetGroupArn": lb.target_group_arn,
                    "containerName": lb.container_name,
                    "containerPort": lb.container_port,
                }
                for lb in svc.load_balancers
            ],
            definition,
            cp.elbv2,
        )
        spec = TaskDefinitionSpec.from_document(definition.arn, definition.describe())
    check_desired_count(req.get("desiredCount"))
    config = None
    if "deploymentConfiguration" in req:
        config = deployment_configuration(
            req["deploymentConfiguration"], svc.deployment_configuration
        )
        check_strategy_migration(svc, config)
    balancers = svc.load_balancers
    if "loadBalancers" in req:
        balancers = _advanced_configuration_update(cp, svc, req["loadBalancers"])
    check_strategy_load_balancers(config or svc.deployment_configuration, balancers)
    if balancers is not svc.load_balancers:
        # same target groups and containers (checked): the scheduler reads them live
        svc.load_balancers = balancers
    grace = req.get("healthCheckGracePeriodSeconds")
    entry.handle.update(
        task_definition=spec,
        desired_count=req.get("desiredCount"),
        force_new_deployment=bool(req.get("forceNewDeployment", False)),
        deployment_configuration=config,
        health_check_grace_period_seconds=None if grace is None else float(grace),
    )
    observe_service(cp, entry)
    return {"service": describe_service(entry)}


def _advanced_configuration_update(
    cp: ControlPlane, svc: Service, requested: list[dict[str, Any]]
) -> tuple[ServiceLoadBalancer, ...]:
    """UpdateService's ``loadBalancers``, emulated to set or change their
    ``advancedConfiguration`` (how a service moves to BLUE_GREEN, LINEAR or CANARY);
    other changes are refused."""
    definition = cp.task_definitions.resolve(svc.task_definition)
    # a completed blue/green deployment swapped the roles (``scheduler.target_group_roles``):
    # an entry naming the pair the other way round keeps the roles the service has now
    production = [lb.target_group_arn for lb in svc.load_balancers]
    updated = with_production(load_balancers(requested, definition, cp.elbv2), production)

    def targets(lbs: tuple[ServiceLoadBalancer, ...]) -> list[tuple[str, str, int]]:
        return sorted((lb.target_group_arn, lb.container_name, lb.container_port) for lb in lbs)

    if targets(updated) != targets(svc.load_balancers):
        raise InvalidParameterException(
            "Changing the target groups or containers of loadBalancers in UpdateService is "
            "not emulated; only their advancedConfiguration may change (create a new "
            "service otherwise)."
        )
    return updated


def describe_services(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    cluster = cp.clusters.require_active(req.get("cluster"))
    found, failures = [], []
    for ref in req["services"]:
        entry = cp.services.find(cluster.name, ref)
        if entry is None:
            arn = ref if ref.startswith("arn:") else arns.service_arn(cluster.name, ref)
            failures.append({"arn": arn, "reason": "MISSING"})
        else:
            found.append(describe_service(entry))
    return {"services": found, "failures": failures}


def list_services(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    cluster = cp.clusters.require_active(req.get("cluster"))
    entries = [e for e in cp.services.in_cluster(cluster.name) if e.status != "INACTIVE"]
    if req.get("launchType"):
        entries = [e for e in entries if e.handle.service.launch_type == req["launchType"]]
    page, token = paginate([e.handle.service.service_arn for e in entries], req, default_size=10)
    return with_token({"serviceArns": page}, token)


def delete_service(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    cluster = cp.clusters.require_active(req.get("cluster"))
    entry = cp.services.require(cluster.name, req["service"])
    if entry.status == "INACTIVE":
        raise ServiceNotActiveException(f"Service was not ACTIVE: '{entry.name}' is INACTIVE.")
    if entry.handle.service.desired_count > 0 and not req.get("force"):
        raise InvalidParameterException(
            "The service cannot be stopped while it is scaled above 0: set desiredCount to 0 "
            "with UpdateService first, or pass force."
        )
    if entry.status == "ACTIVE":
        entry.handle.delete()
    return {"service": describe_service(entry)}


# --- tasks ----------------------------------------------------------------------------


def list_tasks(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    cluster = cp.clusters.require_active(req.get("cluster"))
    if req.get("serviceName"):
        entry = cp.services.require(cluster.name, req["serviceName"])
        tasks = list(entry.handle.tasks)
    else:
        tasks = [t for _, t in cp.services.tasks(cluster.name)]
    chosen = [
        t.task_arn
        for t in tasks
        if task_matches(t, req.get("desiredStatus"), req.get("family"), req.get("startedBy"))
    ]
    page, token = paginate(chosen, req)
    return with_token({"taskArns": page}, token)


def describe_tasks(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    cluster = cp.clusters.require_active(req.get("cluster"))
    by_id = {t.task_id: t for _, t in cp.services.tasks(cluster.name)}
    found, failures = [], []
    for ref in req["tasks"]:
        task = by_id.get(ref.rsplit("/", 1)[-1])
        if task is None:
            arn = ref if ref.startswith("arn:") else arns.task_arn(cluster.name, ref)
            failures.append({"arn": arn, "reason": "MISSING"})
        else:
            found.append(describe_task(task))
    return {"tasks": found, "failures": failures}


def stop_task(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    cluster = cp.clusters.require_active(req.get("cluster"))
    task_id = req["task"].rsplit("/", 1)[-1]
    for entry, task in cp.services.tasks(cluster.name):
        if task.task_id == task_id:
            entry.handle.stop_task(task.task_arn, req.get("reason") or "Task stopped by user")
            return {"task": describe_task(task)}
    raise InvalidParameterException(f"The referenced task was not found: '{req['task']}'.")


ECS_OPERATIONS: dict[str, Operation] = {
    "CreateCluster": create_cluster,
    "DescribeClusters": describe_clusters,
    "ListClusters": list_clusters,
    "DeleteCluster": delete_cluster,
    "RegisterTaskDefinition": register_task_definition,
    "DescribeTaskDefinition": describe_task_definition,
    "ListTaskDefinitions": list_task_definitions,
    "ListTaskDefinitionFamilies": list_task_definition_families,
    "DeregisterTaskDefinition": deregister_task_definition,
    "CreateService": create_service,
    "UpdateService": update_service,
    "DescribeServices": describe_services,
    "ListServices": list_services,
    "DeleteService": delete_service,
    "ListTasks": list_tasks,
    "DescribeTasks": describe_tasks,
    "StopTask": stop_task,
    "ListContainerInstances": list_container_instances,
    "DescribeContainerInstances": describe_container_instances,
    **SERVICE_DEPLOYMENT_OPERATIONS,
}
