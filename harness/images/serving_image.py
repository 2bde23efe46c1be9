"""The serving image: ``serving/`` on the Python base, wheels installed offline."""

from __future__ import annotations

from dataclasses import dataclass

import docker

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
    base = resolver.base_ref()
    tag = content_tag([SERVING_DIR], {"BASE_IMAGE": base})
    ref = f"{settings.serving_repository}:{tag}"
    if image_exists(client, ref):
        return ServingImage(ref, tag, base, built=False)
    if on_progress:
        on_progress("downloading serving wheels")
    wheelhouse = ensure_wheelhouse(
        SERVING_DIR / "requirements.txt", settings.state_dir / "wheelhouses"
    )
    build_image(
        client,
        source=SERVING_DIR,
        ref=ref,
        buildargs={"BASE_IMAGE": base},
        wheelhouse=wheelhouse,
        scratch_root=settings.state_dir / "build",
        on_progress=on_progress,
    )
    return ServingImage(ref, tag, base, built=True)
