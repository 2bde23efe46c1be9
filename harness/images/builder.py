"""Build an image from a Dockerfile folder, skipping the build when the tag exists.

The tag is derived from the folder's content, the build arguments and the
wheelhouse requirements, so "the image exists" means "nothing changed".
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

import docker
from docker.errors import APIError, ImageNotFound

from harness.errors import ImageBuildError
from harness.images.content_tag import IGNORED_PARTS

WHEELHOUSE_DIR = ".wheelhouse"

Progress = Callable[[str], None]


def image_exists(client: docker.DockerClient, ref: str) -> bool:
    try:
        client.images.get(ref)
    except ImageNotFound:
        return False
    return True


def _assemble_context(
    source: Path, wheelhouse: Path | None, scratch: Path, extra: Mapping[str, Path]
) -> Path:
    """Copy the context (without caches) and hard-link the wheelhouse into it."""
    context = scratch / "context"
    ignore = shutil.ignore_patterns(*IGNORED_PARTS, "*.pyc")
    shutil.copytree(source, context, ignore=ignore)
    for name, folder in extra.items():
        shutil.copytree(folder, context / name, ignore=ignore)
    if wheelhouse is not None:
        shutil.copytree(wheelhouse, context / WHEELHOUSE_DIR, copy_function=_link_or_copy)
    return context


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def build_image(
    client: docker.DockerClient,
    *,
    source: Path,
    ref: str,
    buildargs: Mapping[str, str],
    wheelhouse: Path | None,
    scratch_root: Path,
    on_progress: Progress | None = None,
    extra_context: Mapping[str, Path] | None = None,
) -> str:
    """Build ``ref`` from ``source`` and return its image id; raise with the build's last lines."""
    scratch_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch_root, prefix="build-") as scratch:
        context = _assemble_context(source, wheelhouse, Path(scratch), extra_context or {})
        log: list[str] = []
        try:
            for chunk in client.api.build(
                path=str(context),
                tag=ref,
                buildargs=dict(buildargs),
                rm=True,
                forcerm=True,  # a failed RUN leaves no container behind (legacy builder)
                decode=True,
            ):
                if "error" in chunk:
                    log.append(chunk["error"])
                    raise ImageBuildError(
                        f"building {ref} from {source} failed: "
                        + " | ".join(line.strip() for line in log[-8:] if line.strip())
                    )
                line = chunk.get("stream", "").strip()
                if line:
                    log.append(line)
                    if on_progress and line.startswith("Step "):
                        on_progress(line)
        except APIError as exc:
            raise ImageBuildError(f"building {ref} from {source} failed: {exc}") from exc
    return client.images.get(ref).id
