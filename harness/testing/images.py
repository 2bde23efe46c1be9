"""Image variants derived from a pushed image, built offline and pushed to the registry.

A scenario needs a second image (a new release, a crash-looping one) without rebuilding
the serving image: a two-line Dockerfile ``FROM <image by digest>`` plus a few lines
builds in well under a second with the legacy builder, and no base is pulled because the
parent is already in the engine.
"""

from __future__ import annotations

import io

import docker

from harness.docker_engine.registry_login import RegistryLogin
from harness.images.ecr_login import ecr_login
from harness.images.registry import PushedImage, push_image
from harness.settings import DrydockSettings


def derived_image(
    client: docker.DockerClient,
    base: PushedImage,
    lines: list[str],
    registry: str,
    repository: str,
    tag: str,
    login: RegistryLogin | None = None,
) -> PushedImage:
    """Build ``FROM base`` + ``lines`` and push it as ``registry/repository:tag``, logged
    in with ``login`` (default: ECR's credentials from the local cloud's emulator)."""
    dockerfile = "\n".join([f"FROM {base.by_digest}", *lines]) + "\n"
    local = f"{registry}/{repository}:{tag}"
    client.images.build(
        fileobj=io.BytesIO(dockerfile.encode()), tag=local, rm=True, forcerm=True, pull=False
    )
    login = login or ecr_login(DrydockSettings(), registry)
    return push_image(client, local, registry, repository, tag, login=login)
