"""ECS's service deployment operations: List/Describe/Stop/ContinueServiceDeployment(s)
and DescribeServiceRevisions, for every strategy (ROLLING included).

Reads come from :class:`~harness.ecs.control_plane.service_deployments.ServiceDeploymentHistory`
(the scheduler's live deployments, kept after the service forgets them). Stop and
Continue are intentions handed to the service's scheduler through
:func:`request_stop` and :func:`request_continue`, the only two places that call it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from harness.ecs.control_plane.errors import (
    ConflictException,
    InvalidParameterException,
    ServiceDeploymentNotFoundException,
)
from harness.ecs.control_plane.pagination import paginate, with_token
from harness.ecs.control_plane.plane import ControlPlane, Operation
from harness.ecs.control_plane.scheduler_handle import SchedulerHandle
from harness.ecs.control_plane.service_deployments import (
    FINISHED,
    Outcome,
    ServiceDeploymentRecord,
    ServiceRevision,
    describe_service_deployment,
    describe_service_deployment_brief,
    describe_service_revision,
    status_of,
)
from harness.ecs.control_plane.services import ServiceEntry
from harness.ecs.domain import (
    Deployment,
    DeploymentStatus,
    HookAction,
    HookStatus,
    HookTargetType,
    ServiceDeploymentStatus,
    StopType,
)

#: DescribeServiceDeployments and DescribeServiceRevisions take at most 20 ARNs.
MAX_ARNS = 20

_REVISION_EXTRAS = ("platformVersion", "networkConfiguration")


def observe_service(cp: ControlPlane, entry: ServiceEntry) -> None:
    """Record the service's deployments the history has not seen yet (call it after
    CreateService/UpdateService and before reading the history)."""
    svc = entry.handle.service

    def revision_of(deployment: Deployment, arn: str) -> ServiceRevision:
        document = cp.task_definitions.resolve(deployment.task_definition).describe()
        return ServiceRevision(
            arn=arn,
            service_arn=svc.service_arn,
            cluster_arn=svc.cluster_arn,
            task_definition=deployment.task_definition,
            launch_type=deployment.launch_type,
            load_balancers=svc.load_balancers,
            container_images=tuple(
                (c["name"], c["image"]) for c in document.get("containerDefinitions", [])
            ),
            created_at=deployment.created_at,
            extras={k: entry.extras[k] for k in _REVISION_EXTRAS if k in entry.extras},
        )

    cp.service_deployments.observe(
        entry.cluster,
        list(svc.deployments),
        svc.service_arn,
        svc.deployment_configuration,
        revision_of,
    )


def keep_outcomes(cp: ControlPlane, keep: Callable[[str, Outcome], None]) -> None:
    """Hand each service deployment finished since the last call to ``keep`` (the
    journal's ``record_outcome``); subscribe it to the service events. Call it once
    right after a journal replay, with a ``keep`` that drops them, so that what the
    replay restored is not journaled again."""
    with cp.lock:
        _observe_all(cp)
        for record, outcome in cp.service_deployments.newly_finished():
            keep(record.arn, outcome)


def _observe_all(cp: ControlPlane) -> None:
    for cluster in cp.clusters.active():
        for entry in cp.services.in_cluster(cluster.name):
            observe_service(cp, entry)


def _record(cp: ControlPlane, arn: str) -> ServiceDeploymentRecord:
    _observe_all(cp)
    record = cp.service_deployments.get(arn)
    if record is None:
        raise ServiceDeploymentNotFoundException(
            f"The service deployment {arn} does not exist. Use ListServiceDeployments to "
            "find the service deployment ARNs."
        )
    return record


def _entry(cp: ControlPlane, record: ServiceDeploymentRecord) -> ServiceEntry:
    cluster = record.cluster_arn.rsplit("/", 1)[-1]
    entry = cp.services.require(cluster, record.service_arn)
    if entry.handle.service.service_arn != record.service_arn or not any(
        d is record.deployment for d in entry.handle.service.deployments
    ):
        raise ConflictException(
            f"The service deployment {record.arn} is no longer active: a newer service "
            "deployment replaced it."
        )
    return entry


def _check_in_progress(record: ServiceDeploymentRecord, verb: str) -> None:
    status = status_of(record)
    if status in FINISHED or status in (
        ServiceDeploymentStatus.STOP_REQUESTED,
        ServiceDeploymentStatus.ROLLBACK_REQUESTED,
    ):
        raise ConflictException(
            f"The service deployment {record.arn} cannot be {verb}: its status is {status}."
        )


# --- the two calls into the scheduler ---------------------------------------------------


def request_stop(handle: SchedulerHandle, stop_type: StopType) -> None:
    """StopServiceDeployment as an intention to the service's scheduler."""
    handle.stop_deployment(stop_type)


def request_continue(handle: SchedulerHandle, hook_id: str, action: HookAction) -> None:
    """ContinueServiceDeployment as an intention to the service's scheduler."""
    handle.continue_deployment(hook_id, action)


# --- operations -------------------------------------------------------------------------


def _epoch(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return datetime.fromisoformat(value).timestamp()
    return float(value)


def list_service_deployments(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    cluster = cp.clusters.require_active(req.get("cluster"))
    entry = cp.services.require(cluster.name, req["service"])
    observe_service(cp, entry)
    wanted = set(req.get("status") or ())
    created = req.get("createdAt") or {}
    after = _epoch(created["after"]) if "after" in created else None
    before = _epoch(created["before"]) if "before" in created else None
    size = req.get("maxResults")
    if size is not None and not 1 <= size <= 100:
        raise InvalidParameterException(f"maxResults must be between 1 and 100, not {size}.")
    found = [
        describe_service_deployment_brief(r)
        for r in cp.service_deployments.of_service(entry.handle.service.service_arn)
        if (not wanted or str(status_of(r)) in wanted)
        and (after is None or r.deployment.created_at >= after)
        and (before is None or r.deployment.created_at <= before)
    ]
    page, token = paginate(found, req, default_size=20)
    return with_token({"serviceDeployments": page}, token)


def _check_arn_count(arns_: list[str], member: str) -> None:
    if len(arns_) > MAX_ARNS:
        raise InvalidParameterException(
            f"{member} can have at most {MAX_ARNS} ARNs, not {len(arns_)}."
        )


def _describe_each(
    wanted: list[str], member: str, find: Callable[[str], Any], describe: Callable[[Any], Any]
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Describe each ARN found; a failure (``MISSING``) for each one that is not."""
    _check_arn_count(wanted, member)
    found, failures = [], []
    for arn in wanted:
        item = find(arn)
        if item is None:
            failures.append({"arn": arn, "reason": "MISSING"})
        else:
            found.append(describe(item))
    return found, failures


def describe_service_deployments(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    _observe_all(cp)
    found, failures = _describe_each(
        req["serviceDeploymentArns"],
        "serviceDeploymentArns",
        cp.service_deployments.get,
        describe_service_deployment,
    )
    return {"serviceDeployments": found, "failures": failures}


def describe_service_revisions(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    _observe_all(cp)
    found, failures = _describe_each(
        req["serviceRevisionArns"],
        "serviceRevisionArns",
        cp.service_deployments.revision,
        describe_service_revision,
    )
    return {"serviceRevisions": found, "failures": failures}


def stop_service_deployment(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    """ROLLBACK (the default) goes back to the source revision; ABORT stops where it is."""
    record = _record(cp, req["serviceDeploymentArn"])
    _check_in_progress(record, "stopped")
    entry = _entry(cp, record)
    if record.deployment.status != DeploymentStatus.PRIMARY:
        raise ConflictException(
            f"The service deployment {record.arn} cannot be stopped: it is not the service's "
            "current deployment."
        )
    request_stop(entry.handle, StopType(req.get("stopType", StopType.ROLLBACK)))
    return {"serviceDeploymentArn": record.arn}


def continue_service_deployment(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    """Answer a PAUSE hook (or any hook still running) with CONTINUE (default) or ROLLBACK."""
    record = _record(cp, req["serviceDeploymentArn"])
    _check_in_progress(record, "continued")
    entry = _entry(cp, record)
    hook_id = req["hookId"]
    run = next((h for h in record.deployment.lifecycle.hooks if h.hook_id == hook_id), None)
    if run is None:
        raise InvalidParameterException(
            f"The lifecycle hook {hook_id} does not exist in service deployment {record.arn}; "
            "see lifecycleHookDetails in DescribeServiceDeployments."
        )
    # the scheduler keeps a waiting PAUSE AWAITING_ACTION; a hook still running is IN_PROGRESS
    if run.status not in (HookStatus.IN_PROGRESS, HookStatus.AWAITING_ACTION):
        raise ConflictException(
            f"The lifecycle hook {hook_id} is not awaiting action: its status is {run.status}."
        )
    if run.hook.target_type != HookTargetType.PAUSE:
        raise InvalidParameterException(
            f"The lifecycle hook {hook_id} is an {run.hook.target_type} hook; only PAUSE "
            "hooks wait for ContinueServiceDeployment."
        )
    request_continue(entry.handle, hook_id, HookAction(req.get("action", HookAction.CONTINUE)))
    return {"serviceDeploymentArn": record.arn}


SERVICE_DEPLOYMENT_OPERATIONS: dict[str, Operation] = {
    "ListServiceDeployments": list_service_deployments,
    "DescribeServiceDeployments": describe_service_deployments,
    "DescribeServiceRevisions": describe_service_revisions,
    "StopServiceDeployment": stop_service_deployment,
    "ContinueServiceDeployment": continue_service_deployment,
}
