"""The rollout stage: an ECS service behind a load balancer, through boto3 only.

This is the code a Jenkins job would run against AWS: ensure the target group,
load balancer and listener, the cluster, a task definition revision for this
image and model, then create the service or update it, and follow its events
until the deployment COMPLETED. Each step is idempotent, so re-running with the
same image and model changes nothing; a new model version or image digest gives
a new revision and a rolling update. The model URI is pinned to its version in
the task definition, so a rollback really returns to the previous model.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from harness.aws import aws_client
from harness.errors import DrydockError
from harness.images.registry import PushedImage
from harness.pipeline.deploy import (
    container_named,
    find_service,
    primary_deployment,
    watch_rollout,
)
from harness.pipeline.load_balanced_service import (
    ContainerTarget,
    TargetGroupSpec,
    create_service,
    deployment_configuration,
    ensure_load_balancing,
)
from harness.pipeline.service_pipeline import serving_environment
from harness.settings import DrydockSettings

CONTAINER = "model-server"
LISTENER_PORT = 80


@dataclass(frozen=True)
class ServiceSpec:
    """What the demo (or a user's pipeline) deploys; AWS's names for AWS's knobs."""

    cluster: str = "drydock"
    service: str = "model-server"
    family: str = "drydock-model-server"
    target_group: str = "drydock-model-server"
    load_balancer: str = "drydock-alb"
    desired_count: int = 2
    minimum_healthy_percent: int = 100
    maximum_percent: int = 200
    health_check_path: str = "/v2/health/ready"
    health_check_interval_s: int = 5
    health_check_timeout_s: int = 2
    deregistration_delay_s: int = 5
    grace_period_s: int = 30  # model load + warm-up on a busy laptop; ALB checks ignored meanwhile
    stop_timeout_s: int = 30


@dataclass(frozen=True)
class ServiceRollout:
    task_definition_arn: str
    outcome: Literal["created", "updated", "redeployed", "repaired", "unchanged"]
    seconds: float
    #: ``repaired``: why the tasks would have refused the model the service pinned.
    repaired_because: str | None = None


def ecs_clients(settings: DrydockSettings) -> tuple[Any, Any]:
    """boto3 ``ecs`` and ``elbv2`` clients: the emulator locally, AWS when asked."""
    return aws_client("ecs", settings), aws_client("elbv2", settings)


def deploy_model_server(
    settings: DrydockSettings,
    image: PushedImage,
    model_uri: str,
    spec: ServiceSpec = ServiceSpec(),
    on_event: Callable[[str], None] = print,
    timeout_s: float = 600.0,
) -> ServiceRollout:
    began = time.monotonic()
    ecs, elbv2 = ecs_clients(settings)
    try:
        target_group_arn = ensure_load_balancing(
            elbv2, _target_group(spec), spec.load_balancer, LISTENER_PORT
        )
        ecs.create_cluster(clusterName=spec.cluster)
        definition = _container_definition(settings, image, model_uri, spec)
        current = find_service(ecs, spec.cluster, spec.service)
        seen = {e["id"] for e in current.get("events", [])} if current else set()
        outcome: Literal["created", "updated", "redeployed"]
        deployment_id: str | None = None  # created: the first deployment, nothing to roll back to
        if current is not None and _runs(ecs, current, definition):
            unsteady = _why_not_steady(current)
            if unsteady is None:
                return ServiceRollout(current["taskDefinition"], "unchanged", 0.0)
            # The right revision, but not serving (say its tasks failed while the model
            # was missing): roll it again rather than report a broken service as done.
            on_event(f"{spec.service} runs this revision but {unsteady}: redeploying")
            arn, outcome = current["taskDefinition"], "redeployed"
            deployment_id = _force_new_deployment(ecs, spec)
        else:
            arn = ecs.register_task_definition(
                family=spec.family, networkMode="bridge", containerDefinitions=[definition]
            )["taskDefinition"]["taskDefinitionArn"]
            on_event(f"registered {arn}")
            if current is None:
                create_service(
                    ecs,
                    cluster=spec.cluster,
                    name=spec.service,
                    task_definition=arn,
                    desired_count=spec.desired_count,
                    target=ContainerTarget(target_group_arn, CONTAINER, settings.serving_port),
                    deployment=_deployment_configuration(spec),
                    grace_period_s=spec.grace_period_s,
                )
                outcome = "created"
            else:
                updated = ecs.update_service(
                    cluster=spec.cluster,
                    service=spec.service,
                    taskDefinition=arn,
                    deploymentConfiguration=_deployment_configuration(spec),
                )
                outcome = "updated"
                deployment_id = primary_deployment(updated["service"])["id"]
        _follow(ecs, spec, seen, deployment_id, on_event, timeout_s)
    except (BotoCoreError, ClientError) as exc:
        raise DrydockError(f"ECS/ELBv2 API at {ecs.meta.endpoint_url}: {exc}") from exc
    return ServiceRollout(arn, outcome, time.monotonic() - began)


def _container_definition(
    settings: DrydockSettings, image: PushedImage, model_uri: str, spec: ServiceSpec
) -> dict[str, Any]:
    environment = serving_environment(settings, model_uri)
    return {
        "name": CONTAINER,
        "image": image.by_digest,
        "essential": True,
        "memory": 512,
        "portMappings": [{"containerPort": settings.serving_port, "protocol": "tcp"}],
        "environment": [{"name": k, "value": v} for k, v in sorted(environment.items())],
        "stopTimeout": spec.stop_timeout_s,
    }


def _same_container(live: list[dict[str, Any]], wanted: dict[str, Any]) -> bool:
    """Whether the live revision already runs ``wanted``; ECS adds defaults, so compare
    only what we set, environment as a mapping (its order means nothing)."""
    if len(live) != 1:
        return False

    def normal(definition: dict[str, Any]) -> dict[str, Any]:
        picked = {key: definition.get(key) for key in wanted}
        picked["environment"] = {e["name"]: e.get("value") for e in picked["environment"] or []}
        picked["portMappings"] = [p["containerPort"] for p in picked["portMappings"] or []]
        return picked

    return normal(live[0]) == normal(wanted)


def _deployment_configuration(spec: ServiceSpec) -> dict[str, Any]:
    return deployment_configuration(
        spec.minimum_healthy_percent,
        spec.maximum_percent,
        circuit_breaker={"enable": True, "rollback": True},
    )


def _target_group(spec: ServiceSpec) -> TargetGroupSpec:
    return TargetGroupSpec(
        name=spec.target_group,
        port=80,
        health_check_path=spec.health_check_path,
        interval_s=spec.health_check_interval_s,
        timeout_s=spec.health_check_timeout_s,
        deregistration_delay_s=spec.deregistration_delay_s,
        target_type="instance",
        vpc_id="vpc-drydock",
    )


def _runs(ecs: Any, service: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """Whether the service's current revision already runs ``wanted``."""
    live = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])
    return _same_container(live["taskDefinition"]["containerDefinitions"], wanted)


def _why_not_steady(service: dict[str, Any]) -> str | None:
    """None when the service is steady: one deployment, COMPLETED, every task running."""
    deployments = service.get("deployments", [])
    primary = next((d for d in deployments if d["status"] == "PRIMARY"), None)
    if primary is None:
        return "it has no PRIMARY deployment"
    if primary.get("rolloutState") != "COMPLETED":
        return f"its deployment is {primary.get('rolloutState')}"
    if len(deployments) > 1:
        return "an older deployment is still active"
    if service.get("runningCount") != service.get("desiredCount"):
        return f"{service.get('runningCount')} of {service.get('desiredCount')} tasks run"
    return None


def _force_new_deployment(ecs: Any, spec: ServiceSpec) -> str:
    """A new deployment of the service's own revision (its tasks replaced); its id."""
    updated = ecs.update_service(
        cluster=spec.cluster, service=spec.service, forceNewDeployment=True
    )
    return str(primary_deployment(updated["service"])["id"])


def _follow(
    ecs: Any,
    spec: ServiceSpec,
    seen: set[str],
    deployment_id: str | None,
    on_event: Callable[[str], None],
    timeout_s: float,
) -> None:
    """Follow this rollout's own deployment (None: the service's first) until it
    COMPLETED: after a circuit-breaker rollback the old one completes, which must not
    read as this rollout's success."""
    watch_rollout(
        ecs,
        spec.cluster,
        spec.service,
        seen=seen,
        on_event=on_event,
        timeout_s=timeout_s,
        deployment_id=deployment_id,
    )


def ensure_model_server(
    settings: DrydockSettings,
    first_revision: Callable[[], tuple[PushedImage, str]],
    spec: ServiceSpec = ServiceSpec(),
    on_event: Callable[[str], None] = print,
    timeout_s: float = 600.0,
    *,
    why_model_refused: Callable[[dict[str, Any]], str | None],
) -> ServiceRollout:
    """The service the pipelines deploy to, created once; afterwards it is theirs.

    A team creates its cluster, load balancer, target group and service once, outside
    its pipelines (infrastructure as code); the pipelines' ``release`` and ``deploy``
    jobs only roll it to a new revision. So a missing service is created here from
    ``first_revision()`` (an image and a model URI, asked for only then), and an existing
    one is never rolled to what this checkout would build: that would undo the last
    pipeline's deployment. Two exceptions: an existing service whose tasks would refuse
    the model its revision pins (``why_model_refused(container)`` says why, the tasks'
    own check: S3 lost the version, say) is rolled to the first revision, outcome
    ``repaired``; one that does not serve its own revision for another reason (say its
    tasks failed while the model was missing) gets a forced deployment of it.
    """
    began = time.monotonic()
    ecs, _ = ecs_clients(settings)
    try:
        ecs.create_cluster(clusterName=spec.cluster)  # idempotent, as on AWS
        current = find_service(ecs, spec.cluster, spec.service)
        if current is None:
            image, model_uri = first_revision()
            return deploy_model_server(settings, image, model_uri, spec, on_event, timeout_s)
        live = ecs.describe_task_definition(taskDefinition=current["taskDefinition"])
        refused = why_model_refused(container_named(live["taskDefinition"], None))
        if refused is not None:
            revision = current["taskDefinition"].rsplit("/", 1)[-1]
            on_event(
                f"repairing {spec.service}: its revision {revision} pins a model its tasks "
                f"would refuse ({refused}); rolling it to a first revision"
            )
            image, model_uri = first_revision()
            rolled = deploy_model_server(settings, image, model_uri, spec, on_event, timeout_s)
            return ServiceRollout(
                rolled.task_definition_arn, "repaired", time.monotonic() - began, refused
            )
        unsteady = _why_not_steady(current)
        if unsteady is None:
            return ServiceRollout(current["taskDefinition"], "unchanged", 0.0)
        on_event(f"{spec.service} exists but {unsteady}: redeploying its own revision")
        seen = {e["id"] for e in current.get("events", [])}
        _follow(ecs, spec, seen, _force_new_deployment(ecs, spec), on_event, timeout_s)
        return ServiceRollout(current["taskDefinition"], "redeployed", time.monotonic() - began)
    except (BotoCoreError, ClientError) as exc:
        raise DrydockError(f"ECS/ELBv2 API at {ecs.meta.endpoint_url}: {exc}") from exc
