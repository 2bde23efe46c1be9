"""The local cloud (LocalStack S3, the registry) for a test session.

Brought up once; stopped at the end only when this session started it, so a developer's
running stack (or another engineer's session on the same engine) is left alone.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import docker

from harness.docker_engine import docker_client
from harness.images.registry import PushedImage
from harness.images.resolver import ImageResolver
from harness.model.store import ModelStore, pipeline_store
from harness.pipeline.service_pipeline import build_and_push
from harness.settings import DrydockSettings
from harness.stack.local_cloud import (
    bring_up,
    compose_project,
    ensure_model_bucket,
    resolve_cloud_images,
    take_down,
)


def testcontainers_defaults() -> None:
    """testcontainers believes it runs in a container here (/.dockerenv) and its reaper
    image cannot be pulled offline; these make it talk to the local engine directly."""
    os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
    os.environ.setdefault("TESTCONTAINERS_CONNECTION_MODE", "docker_host")
    os.environ.setdefault("TC_HOST", "127.0.0.1")


@dataclass
class LocalCloud:
    settings: DrydockSettings
    client: docker.DockerClient
    resolver: ImageResolver
    store: ModelStore


@contextmanager
def local_cloud(settings: DrydockSettings | None = None) -> Iterator[LocalCloud]:
    """Bring the local cloud up (idempotent) and create the model bucket."""
    settings = settings or DrydockSettings()
    client = docker_client()
    resolver = ImageResolver(client, settings)
    images = resolve_cloud_images(resolver)
    project = compose_project(settings, images)
    was_running = any(s.get("State") == "running" for s in project.services())
    bring_up(client, settings, images)
    ensure_model_bucket(settings)
    try:
        yield LocalCloud(settings, client, resolver, pipeline_store(settings))
    finally:
        if not was_running:
            take_down(client, settings)


def serving_image(cloud: LocalCloud) -> PushedImage:
    """Drydock's serving image, built if needed and pushed to the local registry."""
    _, pushed = build_and_push(cloud.client, cloud.resolver, cloud.settings)
    return pushed
