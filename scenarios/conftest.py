"""Fixtures for scenarios: the local cloud once per session, isolation per scenario.

The stack is brought up once; when this session started it, the session also
stops it. Each scenario gets its own model name and container names, and every
container it starts is removed when it ends, pass or fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

import docker
from harness.aws import s3_client
from harness.docker_engine import docker_client
from harness.ecs.runtime.containers import remove_container
from harness.images.registry import PushedImage
from harness.images.resolver import ImageResolver
from harness.model.store import ModelStore
from harness.pipeline.service_pipeline import build_and_push
from harness.settings import DrydockSettings
from harness.stack.local_cloud import (
    bring_up,
    compose_project,
    ensure_model_bucket,
    resolve_cloud_images,
)

# testcontainers believes it runs in a container here (/.dockerenv) and its reaper
# image cannot be pulled; see docs/environment notes in the README.
os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
os.environ.setdefault("TESTCONTAINERS_CONNECTION_MODE", "docker_host")
os.environ.setdefault("TC_HOST", "127.0.0.1")


@dataclass
class LocalCloud:
    settings: DrydockSettings
    client: docker.DockerClient
    resolver: ImageResolver
    store: ModelStore


@pytest.fixture(scope="session")
def local_cloud() -> Iterator[LocalCloud]:
    settings = DrydockSettings()
    client = docker_client()
    resolver = ImageResolver(client, settings)
    images = resolve_cloud_images(resolver)
    project = compose_project(settings, images)
    was_running = any(s.get("State") == "running" for s in project.services())
    bring_up(client, settings, images)
    ensure_model_bucket(settings)
    yield LocalCloud(
        settings, client, resolver, ModelStore(s3_client(settings), settings.model_bucket)
    )
    if not was_running:
        project.down()


@pytest.fixture(scope="session")
def serving_image(local_cloud: LocalCloud) -> PushedImage:
    _, pushed = build_and_push(local_cloud.client, local_cloud.resolver, local_cloud.settings)
    return pushed


@dataclass
class Isolation:
    """Names unique to one scenario, and the containers to remove after it."""

    suffix: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    containers: list[str] = field(default_factory=list)

    @property
    def model_name(self) -> str:
        return f"scn-{self.suffix}"

    def container_name(self, role: str) -> str:
        name = f"drydock-scn-{self.suffix}-{role}"
        self.containers.append(name)
        return name


@pytest.fixture
def isolation(local_cloud: LocalCloud) -> Iterator[Isolation]:
    scope = Isolation()
    yield scope
    for name in scope.containers:
        remove_container(local_cloud.client, name, timeout_s=5)
