"""``drydock release``: roll a service to a chosen model version and/or image, and watch it.

The model pipeline's ``release`` job and the service pipeline's ``deploy`` job call this.
It copies the service's current task definition and changes only the model pin
(``DRYDOCK_MODEL_URI``'s version, :mod:`.model_pin`) and/or the container's image, so a
revision always names exactly what it serves and a rollback returns to it. The version
is checked first, as a task would check it (published, signed by a key the tasks trust,
bytes as signed); a refusal registers nothing. Then RegisterTaskDefinition,
UpdateService, and the deployment is followed until it COMPLETED, or the circuit breaker
rolled it back, which fails the release and says which revision serves instead. No image
is built or pushed here: a model-only release reuses the running image as is.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from harness.errors import DrydockError
from harness.pipeline.deploy import (
    DeploymentFailedError,
    active_service,
    container_named,
    primary_deployment,
    registerable,
    roll_out,
    watch_rollout,
)
from harness.pipeline.model_pin import ModelPin, model_pin, pin_model
from harness.pipeline.pinned_model import check_pinned


class ReleaseRolledBackError(DrydockError):
    """The new deployment failed and the circuit breaker returned to an older revision."""

    exit_code = 4

    def __init__(self, message: str, outcome: ReleaseOutcome) -> None:
        super().__init__(message)
        self.outcome = outcome


@dataclass(frozen=True)
class ReleaseRequest:
    cluster: str
    service: str
    model_version: str | None = None
    image: str | None = None
    container: str | None = None

    def __post_init__(self) -> None:
        if self.model_version is None and self.image is None:
            raise DrydockError("release what? give --model-version, --image or both")


@dataclass(frozen=True)
class ReleaseOutcome:
    task_definition_arn: str
    model_version: str
    model_uri: str
    image: str
    deployment_id: str
    outcome: Literal["COMPLETED", "ROLLED_BACK"]
    seconds: float
    #: After a rollback: the revision the service serves instead.
    serving_task_definition_arn: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "taskDefinitionArn": self.task_definition_arn,
            "modelVersion": self.model_version,
            "modelUri": self.model_uri,
            "image": self.image,
            "deploymentId": self.deployment_id,
            "outcome": self.outcome,
            "seconds": round(self.seconds, 1),
            "servingTaskDefinitionArn": self.serving_task_definition_arn,
        }


def release(
    ecs: Any,
    s3: Any,
    request: ReleaseRequest,
    *,
    fallback_trusted_keys: Callable[[], str],
    pin_image: Callable[[str], tuple[str, str | None]] = lambda image: (image, None),
    on_event: Callable[[str], None] = print,
    timeout_s: float = 600.0,
    poll_s: float = 1.0,
) -> ReleaseOutcome:
    """Check, register, roll and follow one release; see the module's docstring.

    Tasks verify models with the public keys in their task definition, so those are the
    keys the version is checked with; ``fallback_trusted_keys`` gives the pipeline's own
    when the definition carries none. ``pin_image`` turns ``--image`` into what is
    registered (:func:`.image_pin.pin_image`: by digest when ECR has it) and says how.
    Raises :class:`ReleaseRolledBackError` (with the outcome attached as ``.outcome``)
    when the circuit breaker rolled the release back.
    """
    began = time.monotonic()
    current = active_service(ecs, request.cluster, request.service)
    revision = registerable(
        ecs.describe_task_definition(taskDefinition=current["taskDefinition"])["taskDefinition"]
    )
    container = container_named(revision, request.container)
    pin = model_pin(container)
    if request.model_version is not None:
        pin = pin.at(request.model_version)
        manifest = check_pinned(s3, container, pin, fallback_trusted_keys)
        on_event(f"model {manifest.name} v{manifest.version} is published and signed: {pin.uri}")
        pin_model(container, pin)
    if request.image is not None:
        container["image"], said = pin_image(request.image)
        if said:
            on_event(said)
    try:
        rolled = roll_out(
            ecs,
            request.cluster,
            request.service,
            revision,
            current,
            on_event=on_event,
            timeout_s=timeout_s,
            poll_s=poll_s,
        )
    except DeploymentFailedError as exc:
        raise _rolled_back(ecs, request, pin, container["image"], exc, began, on_event) from exc
    return ReleaseOutcome(
        rolled.task_definition_arn,
        pin.version,
        pin.uri,
        container["image"],
        rolled.deployment_id,
        "COMPLETED",
        time.monotonic() - began,
    )


def _rolled_back(
    ecs: Any,
    request: ReleaseRequest,
    pin: ModelPin,
    image: str,
    failure: DeploymentFailedError,
    began: float,
    on_event: Callable[[str], None],
) -> DrydockError:
    """The error to raise for a failed deployment, saying what serves now.

    After a circuit-breaker rollback the older deployment is PRIMARY again; its rollout
    is followed to the end (within the same time budget) so that "serving" is true when
    the message says it.
    """
    state = active_service(ecs, request.cluster, request.service)
    primary = primary_deployment(state)
    if failure.deployment_id is None or failure.deployment_id == primary["id"]:
        return DeploymentFailedError(f"release of {request.service} failed: {failure}")
    reason = _failure_reason(state, failure.deployment_id) or str(failure)
    try:
        watch_rollout(
            ecs,
            request.cluster,
            request.service,
            seen={e["id"] for e in state.get("events", [])},
            on_event=on_event,
            deployment_id=primary["id"],
            timeout_s=300.0,
        )
        settled = "serving"
    except DeploymentFailedError as exc:
        settled = f"rolling back but not settled ({exc})"
    serving = primary["taskDefinition"]
    live = ecs.describe_task_definition(taskDefinition=serving)["taskDefinition"]
    serving_version = _version_or_unknown(container_named(live, request.container))
    outcome = ReleaseOutcome(
        failure.task_definition_arn or "",
        pin.version,
        pin.uri,
        image,
        failure.deployment_id,
        "ROLLED_BACK",
        time.monotonic() - began,
        serving_task_definition_arn=serving,
    )
    return ReleaseRolledBackError(
        f"release of {request.service} rolled back by the deployment circuit breaker: "
        f"deployment {failure.deployment_id} ({failure.task_definition_arn}, model "
        f"v{pin.version}) FAILED ({reason}); revision {serving} "
        f"(model v{serving_version}) is {settled}",
        outcome,
    )


def _failure_reason(state: dict[str, Any], deployment_id: str) -> str | None:
    """Why ``deployment_id`` failed: its ``rolloutStateReason`` while it is listed, else
    the service event ECS writes for it ("(deployment X) deployment failed: ...")."""
    for deployment in state["deployments"]:
        if deployment["id"] == deployment_id and deployment.get("rolloutStateReason"):
            return str(deployment["rolloutStateReason"])
    marker = f"(deployment {deployment_id}) deployment failed: "
    for event in state.get("events", []):
        message = str(event.get("message", ""))
        if marker in message and "rolling back" not in message:
            return message.split(marker, 1)[1]
    return None


def _version_or_unknown(container: dict[str, Any]) -> str:
    try:
        return model_pin(container).version
    except DrydockError:
        return "unknown"
