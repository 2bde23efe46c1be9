"""A stand-in for ``drydock release`` until its own branch lands (issue 9, item 5).

The pipelines' ``release`` and ``deploy`` jobs call ``drydock release --model-version V``
and/or ``--image URI@digest``. This does the same through the public ECS API: copy the
service's task definition, pin the model version (``DRYDOCK_MODEL_URI``) and/or the
image, register the revision, update the service and watch the rollout; a rollout the
circuit breaker rolls back exits non-zero. ``harness/cli.py`` registers it only when no
other ``release`` command exists, so the real one replaces it by merging.
"""

from __future__ import annotations

import time
from typing import Any

import click

from harness.command_line import console, friendly_errors, load_settings
from harness.errors import DrydockError
from harness.pipeline.deploy import (
    _REGISTERABLE,
    DeploymentFailedError,
    _service,
    watch_rollout,
)

MODEL_URI_VARIABLE = "DRYDOCK_MODEL_URI"


def pinned_definition(
    definition: dict[str, Any], image: str | None, model_uri: str | None
) -> dict[str, Any]:
    """The registerable copy of ``definition`` with the first container's image and model
    URI replaced (pure, so the exact change is tested without an API)."""
    request = {k: definition[k] for k in _REGISTERABLE if k in definition}
    containers = [dict(c) for c in request["containerDefinitions"]]
    first = containers[0]
    if image is not None:
        first["image"] = image
    if model_uri is not None:
        environment = [e for e in first.get("environment", []) if e["name"] != MODEL_URI_VARIABLE]
        first["environment"] = [*environment, {"name": MODEL_URI_VARIABLE, "value": model_uri}]
    request["containerDefinitions"] = containers
    return request


@click.command("release")
@click.option("--cluster", default="drydock", show_default=True)
@click.option("--service", default="model-server", show_default=True)
@click.option("--model-version", default=None, help="Published model version to serve.")
@click.option("--image", default=None, help="Image to serve, best by digest (URI@sha256:...).")
@click.option("--timeout", "timeout_s", default=600.0, show_default=True, type=float)
@friendly_errors
def release(
    cluster: str, service: str, model_version: str | None, image: str | None, timeout_s: float
) -> None:
    """Roll the service to a model version and/or an image, and wait for the outcome."""
    from harness.aws import aws_client
    from harness.model.store import pipeline_store

    if model_version is None and image is None:
        raise DrydockError("say what to release: --model-version and/or --image")
    settings = load_settings()
    model_uri = None
    if model_version is not None:
        store = pipeline_store(settings)
        if store.manifest(settings.model_name, model_version) is None:
            raise DrydockError(
                f"model {settings.model_name} version {model_version} is not published in "
                f"s3://{store.bucket}"
            )
        model_uri = store.uri(settings.model_name, model_version)
    ecs = aws_client("ecs", settings)
    began = time.monotonic()
    current = _service(ecs, cluster, service)
    seen = {e["id"] for e in current.get("events", [])}
    definition = ecs.describe_task_definition(taskDefinition=current["taskDefinition"])
    request = pinned_definition(definition["taskDefinition"], image, model_uri)
    arn = ecs.register_task_definition(**request)["taskDefinition"]["taskDefinitionArn"]
    changes = f"image {image or 'unchanged'}, model {model_uri or 'unchanged'}"
    console.print(f"registered {arn} ({changes})")
    ecs.update_service(cluster=cluster, service=service, taskDefinition=arn)
    watch_rollout(
        ecs,
        cluster,
        service,
        seen=seen,
        on_event=lambda line: console.print(line, highlight=False),
        timeout_s=timeout_s,
    )
    # A rollback also ends with one COMPLETED deployment, the old one: say which won.
    serving = _service(ecs, cluster, service)["taskDefinition"]
    if serving != arn:
        raise DeploymentFailedError(
            f"deployment of {arn} FAILED: the circuit breaker rolled {service} back to {serving}"
        )
    console.print(f"{service} serves {arn}: COMPLETED in {time.monotonic() - began:.1f} s")
