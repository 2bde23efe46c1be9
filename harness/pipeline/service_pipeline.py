"""The service pipeline: build the serving image, push it, run a task from the registry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import docker

from harness.docker_engine.containers import (
    StartedContainer,
    TaskContainerSpec,
    containers_labelled,
    pull_image,
    remove_container,
    start_container,
    started_container,
    wait_until_ready,
)
from harness.images.ecr_login import ecr_login
from harness.images.registry import PushedImage, push_image
from harness.images.resolver import ImageResolver
from harness.images.serving_image import ServingImage, ensure_serving_image
from harness.settings import DrydockSettings

LOCAL_AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
}


def serving_environment(
    settings: DrydockSettings, model_uri: str, task_id: str | None = None
) -> dict[str, str]:
    """What a serving task needs at run time; the image itself holds no credentials.

    Without ``task_id`` each container answers ``X-Task-Id`` with its own host name.
    Tasks get the public keys that verify the models they load, never a private key.
    """
    from harness.model.keys import task_trust_environment  # not in the emulator image

    environment = {
        **LOCAL_AWS_ENVIRONMENT,
        "AWS_DEFAULT_REGION": settings.region,
        "AWS_ENDPOINT_URL": settings.localstack_url_in_network,
        "DRYDOCK_MODEL_URI": model_uri,
        **task_trust_environment(settings),
    }
    if task_id is not None:
        environment["DRYDOCK_TASK_ID"] = task_id
    return environment


def build_and_push(
    client: docker.DockerClient,
    resolver: ImageResolver,
    settings: DrydockSettings,
    on_progress: Callable[[str], None] | None = None,
) -> tuple[ServingImage, PushedImage]:
    image = ensure_serving_image(client, resolver, settings, on_progress)
    if on_progress:
        on_progress(f"pushing {image.ref} to {settings.registry_address}")
    pushed = push_image(
        client,
        image.ref,
        settings.registry_address,
        settings.serving_repository,
        image.tag,
        login=ecr_login(settings),
    )
    return image, pushed


@dataclass(frozen=True)
class RunningTask:
    container: StartedContainer
    image: str
    model_version: str
    reused: bool
    seconds_to_ready: float


def run_single_task(
    client: docker.DockerClient,
    settings: DrydockSettings,
    pushed: PushedImage,
    model_uri: str,
    model_version: str,
    name: str,
) -> RunningTask:
    """Run one serving task from the registry image; keep an identical healthy one."""
    labels = {"role": "standalone-task", "image": pushed.digest, "model-version": model_version}
    for existing in containers_labelled(client, role="standalone-task"):
        same = all(existing.labels.get(f"drydock.{k}") == v for k, v in labels.items())
        if same and existing.status == "running" and existing.name == name:
            started = started_container(existing, settings.serving_port, settings.network)
            ready = wait_until_ready(client, started, timeout_s=settings.serving_ready_timeout_s)
            return RunningTask(started, pushed.by_digest, model_version, True, ready)
        remove_container(client, existing.id, timeout_s=10)
    pull_image(client, pushed.by_digest, ecr_login(settings).auth_config())
    spec = TaskContainerSpec(
        name=name,
        image=pushed.by_digest,
        container_port=settings.serving_port,
        network=settings.network,
        environment=serving_environment(settings, model_uri, name),
        labels={**labels, "project": settings.project},
    )
    started = start_container(client, spec)
    ready = wait_until_ready(client, started, timeout_s=settings.serving_ready_timeout_s)
    return RunningTask(started, pushed.by_digest, model_version, False, ready)
