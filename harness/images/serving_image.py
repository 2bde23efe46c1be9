"""The serving image: ``serving/`` on the Python base, wheels installed offline."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import docker

from harness.errors import ImageBuildError
from harness.images.builder import Progress, build_image, image_exists
from harness.images.content_tag import content_tag
from harness.images.resolver import ImageResolver
from harness.images.wheelhouse import ensure_wheelhouse
from harness.settings import REPO_ROOT, DrydockSettings

SERVING_DIR = REPO_ROOT / "serving"


@dataclass(frozen=True)
class ServingImage:
    ref: str
    tag: str
    base: str
    built: bool


def ensure_serving_image(
    client: docker.DockerClient,
    resolver: ImageResolver,
    settings: DrydockSettings,
    on_progress: Progress | None = None,
) -> ServingImage:
    return ensure_context_image(
        client, resolver, settings, SERVING_DIR, settings.serving_repository, on_progress
    )


def ensure_context_image(
    client: docker.DockerClient,
    resolver: ImageResolver,
    settings: DrydockSettings,
    source: Path,
    repository: str,
    on_progress: Progress | None = None,
) -> ServingImage:
    """Build ``source`` (a serving context: Dockerfile + requirements.txt) under a tag
    derived from its content; an unchanged context is not built again.

    The service pipeline's ``build`` job builds its own checkout of ``serving/`` this way.
    """
    dockerfile = source / "Dockerfile"
    if not dockerfile.is_file():
        raise ImageBuildError(f"no Dockerfile in {source}")
    base = resolver.base_ref()
    tag = content_tag([source], {"BASE_IMAGE": base})
    ref = f"{repository}:{tag}"
    if image_exists(client, ref):
        return ServingImage(ref, tag, base, built=False)
    requirements = source / "requirements.txt"
    wheelhouse = None
    if requirements.is_file():
        if on_progress:
            on_progress("downloading serving wheels")
        wheelhouse = ensure_wheelhouse(requirements, settings.state_dir / "wheelhouses")
    build_image(
        client,
        source=source,
        ref=ref,
        buildargs={"BASE_IMAGE": base},
        wheelhouse=wheelhouse,
        scratch_root=settings.state_dir / "build",
        on_progress=on_progress,
    )
    return ServingImage(ref, tag, base, built=True)
