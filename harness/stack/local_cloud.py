"""Bring the local cloud up: images resolved, ports checked, services healthy, bucket made."""

from __future__ import annotations

import fcntl
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import docker

from harness.aws import s3_client
from harness.images.catalog import CLOUD_IMAGES
from harness.images.resolver import ImageResolver, ResolvedImage
from harness.model.store import ModelStore
from harness.settings import DrydockSettings
from harness.stack.compose import ComposeProject
from harness.stack.ports import ensure_ports_free


@dataclass(frozen=True)
class CloudImages:
    resolved: tuple[ResolvedImage, ...]

    def compose_environment(self) -> dict[str, str]:
        by_role = {image.role: image.ref for image in self.resolved}
        return {
            spec.compose_variable: by_role[spec.role]
            for spec in CLOUD_IMAGES
            if spec.compose_variable and spec.role in by_role
        }


def resolve_cloud_images(
    resolver: ImageResolver, on_progress: Callable[[str], None] | None = None
) -> CloudImages:
    resolved = [resolver.resolve(spec, on_progress) for spec in CLOUD_IMAGES]
    base = resolver.resolve_base()
    return CloudImages((base, *resolved))


def compose_project(settings: DrydockSettings, images: CloudImages) -> ComposeProject:
    return ComposeProject(settings, images.compose_environment())


def bring_up(client: docker.DockerClient, settings: DrydockSettings, images: CloudImages) -> None:
    """Start the stack; concurrent callers (two test sessions, a demo) take turns.

    The compose project is one per machine whichever checkout starts it, so the lock
    lives in the system's temporary folder, not in a checkout's state folder.
    """
    lock_path = Path(tempfile.gettempdir()) / f"drydock-{settings.project}-stack.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _bring_up(client, settings, images)


def _bring_up(client: docker.DockerClient, settings: DrydockSettings, images: CloudImages) -> None:
    ensure_ports_free(
        client,
        settings.project,
        settings.host,
        {
            "DRYDOCK_LOCALSTACK_PORT": settings.localstack_port,
            "DRYDOCK_REGISTRY_PORT": settings.registry_port,
            "DRYDOCK_LB_PORT": settings.lb_port,
            "DRYDOCK_ECS_PORT": settings.ecs_port,
        },
    )
    compose_project(settings, images).up()


def ensure_model_bucket(settings: DrydockSettings) -> bool:
    return ModelStore(s3_client(settings), settings.model_bucket).create_bucket()
