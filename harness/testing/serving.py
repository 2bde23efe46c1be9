"""Drydock's own serving image as an :class:`EcsService`: a model released, env set.

The task's ``DRYDOCK_TASK_ID`` is left unset on purpose: the app then reports its
hostname, which docker sets to the container id, so ``X-Task-Id`` in a response maps to
exactly one task through :meth:`EcsService.task_containers` (on AWS the app would read
its task ARN from the task metadata endpoint instead).
"""

from __future__ import annotations

from harness.ecs.emulator.emulator import Emulator
from harness.pipeline.model_pipeline import ModelRelease, release_model
from harness.pipeline.service_pipeline import serving_environment
from harness.testing.cloud import LocalCloud
from harness.testing.isolation import Isolation
from harness.testing.service import EcsService


def serving_environment_for(cloud: LocalCloud, isolation: Isolation) -> dict[str, str]:
    """What a Drydock serving task needs: S3 endpoint, credentials, the model's URI."""
    environment = serving_environment(
        cloud.settings, cloud.store.uri(isolation.model_name, "latest"), "unused"
    )
    environment.pop("DRYDOCK_TASK_ID")
    return environment


def serving_service(
    emulator: Emulator,
    isolation: Isolation,
    cloud: LocalCloud,
    image: str,
    *,
    regularization: float = 1.0,
) -> tuple[EcsService, ModelRelease]:
    """Release a model under the isolation's name; an unstarted service that serves it."""
    release = release_model(cloud.store, isolation.model_name, regularization=regularization)
    service = (
        EcsService(emulator, isolation)
        .with_image(image)
        .with_container(
            port=cloud.settings.serving_port, environment=serving_environment_for(cloud, isolation)
        )
    )
    return service, release
