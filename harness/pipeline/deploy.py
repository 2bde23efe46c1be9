"""``drydock deploy``: a new task definition revision and a rolling update, through boto3.

Only the public ECS API is used, so the same code deploys to the emulator or to AWS:
copy the service's current task definition, change the image (or nothing, to force a
new deployment, e.g. to pick up a new model), register it, update the service, and
report the service's events as they appear until the rollout COMPLETED or FAILED.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from harness.errors import DrydockError

#: Members of DescribeTaskDefinition's output that RegisterTaskDefinition accepts back.
_REGISTERABLE = (
    "family",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "containerDefinitions",
    "volumes",
    "placementConstraints",
    "requiresCompatibilities",
    "cpu",
    "memory",
)


class DeploymentFailedError(DrydockError):
    """The rollout ended FAILED (circuit breaker) or did not finish in time."""

    #: The deployment that failed and its revision, when :func:`roll_out` started it.
    deployment_id: str | None = None
    task_definition_arn: str | None = None


@dataclass(frozen=True)
class DeployOutcome:
    task_definition_arn: str
    rollout_state: str
    seconds: float


def deploy(
    ecs: Any,
    cluster: str,
    service: str,
    *,
    image: str | None = None,
    container: str | None = None,
    on_event: Callable[[str], None] = print,
    timeout_s: float = 600.0,
    poll_s: float = 1.0,
) -> DeployOutcome:
    """Register a revision (new ``image`` for ``container``, default the first) and roll."""
    began = time.monotonic()
    current = active_service(ecs, cluster, service)
    request = registerable(
        ecs.describe_task_definition(taskDefinition=current["taskDefinition"])["taskDefinition"]
    )
    if image is not None:
        container_named(request, container)["image"] = image
    rolled = roll_out(
        ecs,
        cluster,
        service,
        request,
        current,
        on_event=on_event,
        timeout_s=timeout_s,
        poll_s=poll_s,
    )
    return DeployOutcome(rolled.task_definition_arn, "COMPLETED", time.monotonic() - began)


def registerable(definition: dict[str, Any]) -> dict[str, Any]:
    """A RegisterTaskDefinition request copying ``definition`` (DescribeTaskDefinition's
    output): the next revision of the same family, changed only where the caller changes it."""
    return copy.deepcopy({k: definition[k] for k in _REGISTERABLE if k in definition})


def container_named(request: dict[str, Any], container: str | None) -> dict[str, Any]:
    """The container definition called ``container`` (default: the first), to change in place."""
    names = [c["name"] for c in request["containerDefinitions"]]
    target = container or names[0]
    if target not in names:
        raise DrydockError(f"the task definition has no container {target!r} ({names})")
    return next(c for c in request["containerDefinitions"] if c["name"] == target)


@dataclass(frozen=True)
class RolledOut:
    task_definition_arn: str
    deployment_id: str


def roll_out(
    ecs: Any,
    cluster: str,
    service: str,
    request: dict[str, Any],
    current: dict[str, Any],
    *,
    on_event: Callable[[str], None] = print,
    timeout_s: float = 600.0,
    poll_s: float = 1.0,
) -> RolledOut:
    """Register ``request``, point ``service`` (as ``current`` described it) at the new
    revision and follow that deployment until it COMPLETED (or raise, see
    :func:`watch_rollout`)."""
    began = time.monotonic()
    seen = {e["id"] for e in current.get("events", [])}
    arn = ecs.register_task_definition(**request)["taskDefinition"]["taskDefinitionArn"]
    on_event(f"registered {arn}")
    updated = ecs.update_service(
        cluster=cluster, service=service, taskDefinition=arn, forceNewDeployment=True
    )["service"]
    deployment_id = primary_deployment(updated)["id"]
    on_event(f"deployment {deployment_id} started")
    try:
        watch_rollout(
            ecs,
            cluster,
            service,
            seen=seen,
            on_event=on_event,
            timeout_s=timeout_s - (time.monotonic() - began),
            poll_s=poll_s,
            deployment_id=deployment_id,
        )
    except DeploymentFailedError as exc:
        exc.deployment_id, exc.task_definition_arn = deployment_id, arn
        raise
    return RolledOut(arn, deployment_id)


def primary_deployment(service: dict[str, Any]) -> dict[str, Any]:
    return next(d for d in service["deployments"] if d["status"] == "PRIMARY")


def watch_rollout(
    ecs: Any,
    cluster: str,
    service: str,
    *,
    seen: set[str],
    on_event: Callable[[str], None] = print,
    timeout_s: float = 600.0,
    poll_s: float = 1.0,
    deployment_id: str | None = None,
) -> None:
    """Report new service events until the PRIMARY deployment is COMPLETED and alone.

    With ``deployment_id`` that deployment must be the one that completes: when the
    circuit breaker rolls it back, an older deployment becomes PRIMARY and completes,
    which is a failed release, not a finished one. Raises :class:`DeploymentFailedError`
    when it ends FAILED (the circuit breaker) or takes longer than ``timeout_s``.
    ``seen`` holds event ids already reported.
    """
    began = time.monotonic()
    while time.monotonic() - began < timeout_s:
        state = active_service(ecs, cluster, service)
        for event in reversed(state.get("events", [])):
            if event["id"] not in seen:
                seen.add(event["id"])
                on_event(event["message"])
        verdict = rollout_verdict(state, deployment_id)
        if verdict == "COMPLETED":
            return
        if verdict is not None:
            raise DeploymentFailedError(verdict)
        time.sleep(poll_s)
    raise DeploymentFailedError(f"the rollout of {service} did not finish in {timeout_s:.0f} s")


def rollout_verdict(state: dict[str, Any], deployment_id: str | None = None) -> str | None:
    """ "COMPLETED", None while the rollout goes on, or why it failed (DescribeServices'
    ``state``; ``deployment_id`` the deployment being followed, default the PRIMARY)."""
    primary = primary_deployment(state)
    followed = primary
    if deployment_id is not None:
        found = [d for d in state["deployments"] if d["id"] == deployment_id]
        if not found:
            return f"deployment {deployment_id} is gone from the service (replaced or rolled back)"
        followed = found[0]
    if followed["rolloutState"] == "FAILED":
        reason = followed.get("rolloutStateReason", "")
        if followed is not primary:
            reason += f"; rolled back to deployment {primary['id']} ({primary['taskDefinition']})"
        return f"deployment {followed['id']} FAILED: {reason}"
    if followed is not primary:
        return f"deployment {followed['id']} is no longer PRIMARY: {primary['id']} took its place"
    if primary["rolloutState"] == "COMPLETED" and len(state["deployments"]) == 1:
        return "COMPLETED"
    return None


def find_service(ecs: Any, cluster: str, service: str) -> dict[str, Any] | None:
    """DescribeServices' view of ``service`` while it is ACTIVE; None when there is no
    such service (or cluster): before a first deployment, after a stack down."""
    try:
        found = ecs.describe_services(cluster=cluster, services=[service])["services"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ClusterNotFoundException":
            return None
        raise
    return found[0] if found and found[0].get("status") == "ACTIVE" else None


def active_service(ecs: Any, cluster: str, service: str) -> dict[str, Any]:
    """:func:`find_service` for callers that need the service: its absence is an error."""
    found = find_service(ecs, cluster, service)
    if found is None:
        raise DrydockError(f"service {service!r} is not ACTIVE in cluster {cluster!r}")
    return found
