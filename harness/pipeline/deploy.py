"""``drydock deploy``: a new task definition revision and a rolling update, through boto3.

Only the public ECS API is used, so the same code deploys to the emulator or to AWS:
copy the service's current task definition, change the image (or nothing, to force a
new deployment, e.g. to pick up a new model), register it, update the service, and
report the service's events as they appear until the rollout COMPLETED or FAILED.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
    current = _service(ecs, cluster, service)
    seen = {e["id"] for e in current.get("events", [])}
    definition = ecs.describe_task_definition(taskDefinition=current["taskDefinition"])[
        "taskDefinition"
    ]
    request = {k: definition[k] for k in _REGISTERABLE if k in definition}
    if image is not None:
        names = [c["name"] for c in request["containerDefinitions"]]
        target = container or names[0]
        if target not in names:
            raise DrydockError(f"the task definition has no container {target!r} ({names})")
        for c in request["containerDefinitions"]:
            if c["name"] == target:
                c["image"] = image
    arn = ecs.register_task_definition(**request)["taskDefinition"]["taskDefinitionArn"]
    on_event(f"registered {arn}")
    ecs.update_service(
        cluster=cluster, service=service, taskDefinition=arn, forceNewDeployment=True
    )
    watch_rollout(
        ecs,
        cluster,
        service,
        seen=seen,
        on_event=on_event,
        timeout_s=timeout_s - (time.monotonic() - began),
        poll_s=poll_s,
    )
    return DeployOutcome(arn, "COMPLETED", time.monotonic() - began)


def watch_rollout(
    ecs: Any,
    cluster: str,
    service: str,
    *,
    seen: set[str],
    on_event: Callable[[str], None] = print,
    timeout_s: float = 600.0,
    poll_s: float = 1.0,
) -> None:
    """Report new service events until the PRIMARY deployment is COMPLETED and alone.

    Raises :class:`DeploymentFailedError` when it ends FAILED (the circuit breaker) or
    takes longer than ``timeout_s``. ``seen`` holds event ids already reported.
    """
    began = time.monotonic()
    while time.monotonic() - began < timeout_s:
        state = _service(ecs, cluster, service)
        for event in reversed(state.get("events", [])):
            if event["id"] not in seen:
                seen.add(event["id"])
                on_event(event["message"])
        primary = next(d for d in state["deployments"] if d["status"] == "PRIMARY")
        if primary["rolloutState"] == "COMPLETED" and len(state["deployments"]) == 1:
            return
        if primary["rolloutState"] == "FAILED":
            raise DeploymentFailedError(
                f"deployment {primary['id']} FAILED: {primary.get('rolloutStateReason', '')}"
            )
        time.sleep(poll_s)
    raise DeploymentFailedError(f"the rollout of {service} did not finish in {timeout_s:.0f} s")


def _service(ecs: Any, cluster: str, service: str) -> dict[str, Any]:
    found = ecs.describe_services(cluster=cluster, services=[service])["services"]
    if not found or found[0].get("status") != "ACTIVE":
        raise DrydockError(f"service {service!r} is not ACTIVE in cluster {cluster!r}")
    return found[0]
