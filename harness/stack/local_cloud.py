"""Bring the local cloud up: images resolved, ports checked, services healthy, bucket made."""

from __future__ import annotations

import contextlib
import fcntl
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import docker
from docker.errors import NotFound

from harness.aws import s3_client
from harness.docker_engine.containers import containers_labelled, remove_container
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
            "DRYDOCK_LB_TEST_PORT": settings.lb_test_port,
            "DRYDOCK_ECS_PORT": settings.ecs_port,
            "DRYDOCK_GIT_PORT": settings.git_port,
        },
    )
    settings.ci_root.mkdir(parents=True, exist_ok=True)  # the git remote's bind mount
    compose_project(settings, images).up()


#: The compose volume of the emulator's journal (``docker-compose.yml``).
EMULATOR_STATE_VOLUME = "emulator-state"


def take_down(
    client: docker.DockerClient, settings: DrydockSettings, volumes: bool = False
) -> None:
    """Stop the stack, then remove task containers and the emulator's journal.

    Compose first: the emulator stopped by SIGTERM keeps its tasks (for a restart to
    adopt), and while it runs it would replace tasks removed under it. The journal
    goes too: LocalStack keeps no S3 state across a stop, so services replayed from it
    would point at models that no longer exist. ``volumes`` also drops the registry's
    images.
    """
    ComposeProject(settings, {}).down(volumes=volumes)
    for container in containers_labelled(client, project=settings.project):
        remove_container(client, container.id, timeout_s=10)
    with contextlib.suppress(NotFound):
        client.volumes.get(f"{settings.project}_{EMULATOR_STATE_VOLUME}").remove(force=True)


def ensure_model_bucket(settings: DrydockSettings) -> bool:
    return ModelStore(s3_client(settings), settings.model_bucket).create_bucket()
