"""Service deployments and service revisions: ECS's history of a service's releases.

Every deployment a service makes (CreateService, an UpdateService that starts one, a
rollback) is a *service deployment* with its own ARN, from a set of source *service
revisions* to a target revision. The scheduler owns the live
:class:`~harness.ecs.domain.Deployment` (and its ``lifecycle``); the service forgets a
deployment once it is replaced, so :class:`ServiceDeploymentHistory` keeps a reference to
each one together with the revision it deployed, as the control plane first saw it.

Identity: a service deployment's id and its target revision's id are the digits of the
deployment's id (``ecs-svc/1234567890123`` -> ``1234567890123``). The journal gives
deployments their ids back on a restart (``ReplayedIds``) and replays the calls that
made them, so ARNs survive a restart, as do the COMPLETED states restored from it.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from harness.ecs.control_plane import arns
from harness.ecs.control_plane.deployment_strategies import describe_load_balancer
from harness.ecs.control_plane.services import _ts, describe_deployment_configuration
from harness.ecs.domain import (
    Deployment,
    DeploymentConfiguration,
    DeploymentStatus,
    DeploymentStrategy,
    HookAction,
    HookStatus,
    HookTargetType,
    RolloutState,
    ServiceDeploymentStatus,
    ServiceLoadBalancer,
)

#: Statuses after which a service deployment cannot be stopped or continued.
FINISHED = frozenset(
    {
        ServiceDeploymentStatus.SUCCESSFUL,
        ServiceDeploymentStatus.STOPPED,
        ServiceDeploymentStatus.ROLLBACK_SUCCESSFUL,
        ServiceDeploymentStatus.ROLLBACK_FAILED,
    }
)


def short_id(deployment_id: str) -> str:
    """The id in a service deployment's (and its revision's) ARN."""
    tail = deployment_id.rsplit("/", 1)[-1]
    return tail if tail.isalnum() else hashlib.sha256(deployment_id.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class ServiceRevision:
    """What a deployment deployed (``DescribeServiceRevisions``), fixed when it was made."""

    arn: str
    service_arn: str
    cluster_arn: str
    task_definition: str
    launch_type: str
    load_balancers: tuple[ServiceLoadBalancer, ...]
    #: (containerName, image) of each container of the task definition.
    container_images: tuple[tuple[str, str], ...]
    created_at: float
    extras: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Outcome:
    """How a finished deployment ended, as the journal keeps it across a restart."""

    status: ServiceDeploymentStatus
    reason: str = ""
    finished_at: float | None = None


@dataclass
class ServiceDeploymentRecord:
    """A service deployment: the live deployment plus what it was made from and with."""

    arn: str
    service_arn: str
    cluster_arn: str
    deployment: Deployment
    revision: ServiceRevision
    #: The deployments (and their revisions) that were running when this one began.
    sources: list[ServiceDeploymentRecord]
    configuration: DeploymentConfiguration
    #: The service's latest deployment is this one's successor once it exists.
    superseded: bool = False
    #: Restored from the journal: shown while the scheduler keeps no lifecycle for it.
    outcome: Outcome | None = None


class ServiceDeploymentHistory:
    """Every service deployment the control plane has seen, by ARN and by service."""

    def __init__(self) -> None:
        self._by_arn: dict[str, ServiceDeploymentRecord] = {}
        self._by_service: dict[str, list[ServiceDeploymentRecord]] = {}
        self._revisions: dict[str, ServiceRevision] = {}
        #: Finished deployments whose outcome is kept (journaled or restored).
        self._kept: set[str] = set()
        self._restored: dict[str, Outcome] = {}

    def observe(
        self,
        cluster: str,
        deployments: list[Deployment],
        service_arn: str,
        configuration: DeploymentConfiguration,
        revision_of: Callable[[Deployment, str], ServiceRevision],
    ) -> None:
        """Record the service's deployments not seen before (newest is PRIMARY).

        ``revision_of(deployment, arn)`` builds the revision a new deployment deploys.
        """
        service_name = service_arn.rsplit("/", 1)[-1]
        history = self._by_service.setdefault(service_arn, [])
        known = {id(r.deployment) for r in history}
        for deployment in sorted(deployments, key=lambda d: d.created_at):
            if id(deployment) in known:
                continue
            ident = short_id(deployment.id)
            arn = arns.service_deployment_arn(cluster, service_name, ident)
            revision = revision_of(
                deployment, arns.service_revision_arn(cluster, service_name, ident)
            )
            record = ServiceDeploymentRecord(
                arn=arn,
                service_arn=service_arn,
                cluster_arn=arns.cluster_arn(cluster),
                deployment=deployment,
                revision=revision,
                # the latest deployment so far, and any older one still running tasks
                sources=[r for r in history if not r.superseded or _still_running(r.deployment)],
                configuration=configuration,
            )
            for older in history:
                older.superseded = True
            record.outcome = self._restored.pop(arn, None)
            history.append(record)
            self._by_arn[arn] = record
            self._revisions[revision.arn] = revision

    def restore_outcome(self, arn: str, outcome: Outcome) -> None:
        """Journal replay: ``arn`` ended as ``outcome`` before the restart."""
        self._kept.add(arn)
        record = self._by_arn.get(arn)
        if record is None:
            self._restored[arn] = outcome
        else:
            record.outcome = outcome

    def newly_finished(self) -> list[tuple[ServiceDeploymentRecord, Outcome]]:
        """Deployments finished since the last call (each reported once), with how."""
        found = []
        for arn, record in self._by_arn.items():
            if arn in self._kept:
                continue
            status = status_of(record)
            if status in FINISHED:
                self._kept.add(arn)
                found.append(
                    (
                        record,
                        Outcome(
                            status,
                            _status_reason(record, status),
                            _finished_at(record, status),
                        ),
                    )
                )
        return found

    def get(self, arn: str) -> ServiceDeploymentRecord | None:
        return self._by_arn.get(arn)

    def revision(self, arn: str) -> ServiceRevision | None:
        return self._revisions.get(arn)

    def of_service(self, service_arn: str) -> Iterator[ServiceDeploymentRecord]:
        """Newest first, as ListServiceDeployments lists them."""
        yield from reversed(self._by_service.get(service_arn, []))


def _still_running(deployment: Deployment) -> bool:
    return deployment.status != DeploymentStatus.INACTIVE and (
        deployment.running_count > 0 or deployment.desired_count > 0
    )


# --- presentation ---------------------------------------------------------------------


def lifecycle_kept(deployment: Deployment) -> bool:
    """Whether the scheduler keeps this deployment's ``lifecycle`` (it has moved it on)."""
    lifecycle = deployment.lifecycle
    return lifecycle.status != ServiceDeploymentStatus.PENDING or lifecycle.stage is not None


def status_of(record: ServiceDeploymentRecord) -> ServiceDeploymentStatus:
    """The deployment's ``status``: the scheduler's lifecycle, which both schedulers keep
    from their first step. Only what the journal restored comes before that step: how a
    deployment ended (``outcome``), or the COMPLETED state put back on the PRIMARY
    (SUCCESSFUL). Anything else not stepped yet is PENDING, as ECS shows it.
    """
    d = record.deployment
    if lifecycle_kept(d):
        return d.lifecycle.status
    if record.outcome is not None:
        return record.outcome.status
    if d.rollout_state == RolloutState.COMPLETED:  # the journal's COMPLETED, not stepped yet
        return ServiceDeploymentStatus.SUCCESSFUL
    return d.lifecycle.status


def rolled_back_to(record: ServiceDeploymentRecord) -> ServiceDeploymentRecord | None:
    """The source a failed deployment's circuit breaker returned to: the one that is
    PRIMARY again (or, once replaced since, the latest source)."""
    primary = [s for s in record.sources if s.deployment.status == DeploymentStatus.PRIMARY]
    return primary[0] if primary else (record.sources[-1] if record.sources else None)


def _status_reason(record: ServiceDeploymentRecord, status: ServiceDeploymentStatus) -> str:
    lifecycle = record.deployment.lifecycle
    if lifecycle.status_reason:
        return lifecycle.status_reason
    if record.outcome is not None and not lifecycle_kept(record.deployment):
        return record.outcome.reason
    if record.deployment.rollout_state_reason:
        return record.deployment.rollout_state_reason
    if status == ServiceDeploymentStatus.STOPPED and record.superseded:
        return "Service deployment stopped: a newer service deployment replaced it."
    return ""


def _finished_at(record: ServiceDeploymentRecord, status: ServiceDeploymentStatus) -> float | None:
    lifecycle = record.deployment.lifecycle
    if lifecycle.finished_at is not None:
        return lifecycle.finished_at
    if record.outcome is not None and not lifecycle_kept(record.deployment):
        return record.outcome.finished_at
    return record.deployment.updated_at if status in FINISHED else None


def _ending(record: ServiceDeploymentRecord, status: ServiceDeploymentStatus) -> dict[str, Any]:
    """``statusReason`` and ``finishedAt``, where there are any."""
    out: dict[str, Any] = {}
    reason = _status_reason(record, status)
    if reason:
        out["statusReason"] = reason
    finished = _finished_at(record, status)
    if finished is not None:
        out["finishedAt"] = _ts(finished)
    return out


def _weights(record: ServiceDeploymentRecord) -> tuple[float, float] | None:
    """(production, test) weight requested for the target revision; None for ROLLING,
    which shifts no traffic by weight."""
    if record.configuration.strategy == DeploymentStrategy.ROLLING:
        return None
    lifecycle = record.deployment.lifecycle
    if not lifecycle_kept(record.deployment):  # all or nothing, by the rollout's outcome
        weight = 100.0 if status_of(record) == ServiceDeploymentStatus.SUCCESSFUL else 0.0
        return weight, weight
    return lifecycle.production_traffic_weight, lifecycle.test_traffic_weight


def _revision_summary(
    arn: str, d: Deployment, weights: tuple[float, float] | None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "arn": arn,
        "requestedTaskCount": d.desired_count,
        "runningTaskCount": d.running_count,
        "pendingTaskCount": d.pending_count,
    }
    if weights is not None:
        out["requestedProductionTrafficWeight"] = weights[0]
        out["requestedTestTrafficWeight"] = weights[1]
    return out


def _monitor_status(enabled: bool, triggered: bool, status: ServiceDeploymentStatus) -> str:
    if not enabled:
        return "DISABLED"
    if triggered:
        return "TRIGGERED"
    return "MONITORING_COMPLETE" if status in FINISHED else "MONITORING"


def breaker_threshold(desired_count: int) -> int:
    """AWS's circuit breaker threshold: 0.5 x desired tasks, within 3..200."""
    return min(200, max(3, math.ceil(0.5 * desired_count)))


def _hook_detail(run: Any) -> dict[str, Any]:
    hook = run.hook
    status = str(run.status)
    if hook.target_type == HookTargetType.PAUSE and run.status == HookStatus.IN_PROGRESS:
        status = "AWAITING_ACTION"
    out: dict[str, Any] = {
        "hookId": run.hook_id,
        "targetType": str(hook.target_type),
        "status": status,
        "timeoutAction": str(hook.timeout_action or HookAction.ROLLBACK),
    }
    if hook.hook_target_arn:
        out["targetArn"] = hook.hook_target_arn
    if run.expires_at is not None:
        out["expiresAt"] = _ts(run.expires_at)
    return out


def describe_service_deployment(record: ServiceDeploymentRecord) -> dict[str, Any]:
    """The ``ServiceDeployment`` output shape."""
    d, lifecycle, config = record.deployment, record.deployment.lifecycle, record.configuration
    status = status_of(record)
    weights = _weights(record)
    out: dict[str, Any] = {
        "serviceDeploymentArn": record.arn,
        "serviceArn": record.service_arn,
        "clusterArn": record.cluster_arn,
        "createdAt": _ts(d.created_at),
        "startedAt": _ts(lifecycle.started_at or d.created_at),
        "updatedAt": _ts(d.updated_at),
        "targetServiceRevision": _revision_summary(record.revision.arn, d, weights),
        "sourceServiceRevisions": [
            _revision_summary(
                s.revision.arn,
                s.deployment,
                None if weights is None else (100.0 - weights[0], 100.0 - weights[1]),
            )
            for s in record.sources
        ],
        "status": str(status),
        "deploymentConfiguration": describe_deployment_configuration(config),
        "deploymentCircuitBreaker": {
            "status": _monitor_status(
                config.deployment_circuit_breaker.enable,
                d.rollout_state == RolloutState.FAILED and not lifecycle.triggered_alarm_names,
                status,
            ),
            "failureCount": d.failed_tasks,
            "threshold": breaker_threshold(d.desired_count),
        },
        "alarms": {
            "status": _monitor_status(
                config.alarms.enable, bool(lifecycle.triggered_alarm_names), status
            ),
            "alarmNames": list(config.alarms.alarm_names),
            "triggeredAlarmNames": list(lifecycle.triggered_alarm_names),
        },
    }
    out.update(_ending(record, status))
    if lifecycle.stopped_at is not None:
        out["stoppedAt"] = _ts(lifecycle.stopped_at)
    if lifecycle.stage is not None:
        out["lifecycleStage"] = str(lifecycle.stage)
    if lifecycle.hooks:
        out["lifecycleHookDetails"] = [_hook_detail(run) for run in lifecycle.hooks]
    rollback = _rollback(record, status)
    if rollback:
        out["rollback"] = rollback
    return out


def _rollback(record: ServiceDeploymentRecord, status: ServiceDeploymentStatus) -> dict[str, Any]:
    """``rollback``: the scheduler's, or a circuit breaker's read from the rollout."""
    lifecycle, d = record.deployment.lifecycle, record.deployment
    if lifecycle.rollback_reason or lifecycle.rollback_started_at is not None:
        out: dict[str, Any] = {"reason": lifecycle.rollback_reason}
        if lifecycle.rollback_started_at is not None:
            out["startedAt"] = _ts(lifecycle.rollback_started_at)
    elif not lifecycle_kept(d) and status in (
        ServiceDeploymentStatus.ROLLBACK_IN_PROGRESS,
        ServiceDeploymentStatus.ROLLBACK_SUCCESSFUL,
    ):
        out = {"reason": d.rollout_state_reason, "startedAt": _ts(d.updated_at)}
    else:
        return {}
    target = rolled_back_to(record)
    if target is not None:
        out["serviceRevisionArn"] = target.revision.arn
    return out


def describe_service_deployment_brief(record: ServiceDeploymentRecord) -> dict[str, Any]:
    """The ``ServiceDeploymentBrief`` output shape (ListServiceDeployments)."""
    d = record.deployment
    status = status_of(record)
    out: dict[str, Any] = {
        "serviceDeploymentArn": record.arn,
        "serviceArn": record.service_arn,
        "clusterArn": record.cluster_arn,
        "createdAt": _ts(d.created_at),
        "startedAt": _ts(d.lifecycle.started_at or d.created_at),
        "targetServiceRevisionArn": record.revision.arn,
        "status": str(status),
    }
    out.update(_ending(record, status))
    return out


def describe_service_revision(revision: ServiceRevision) -> dict[str, Any]:
    """The ``ServiceRevision`` output shape."""
    out: dict[str, Any] = {
        "serviceRevisionArn": revision.arn,
        "serviceArn": revision.service_arn,
        "clusterArn": revision.cluster_arn,
        "taskDefinition": revision.task_definition,
        "launchType": revision.launch_type,
        "loadBalancers": [describe_load_balancer(lb) for lb in revision.load_balancers],
        "serviceRegistries": [],
        "containerImages": [
            {"containerName": name, "image": image} for name, image in revision.container_images
        ],
        "guardDutyEnabled": False,
        "createdAt": _ts(revision.created_at),
    }
    for key in ("platformVersion", "networkConfiguration"):
        if key in revision.extras:
            out[key] = revision.extras[key]
    return out
