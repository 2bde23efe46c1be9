"""An image for a task definition, pinned by digest when it lives in ECR.

A tag is a pointer someone can move; a task definition that names ``repo:tag`` may
start tomorrow's image on a scale-out, and a rollback to it may not return to what
served. So ``drydock release --image repo:tag`` asks ECR (DescribeImages) which digest
the tag names now and registers ``repo@sha256:...``; an image ECR does not have is
refused before anything is registered, instead of failing task by task at pull time.
Images from other registries (not ECR: no API to ask), or from a repository ECR does not
know (the local registry takes pushes without CreateRepository), are used as given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from harness.errors import DrydockError

#: AWS's ECR registry host names: ``<account>.dkr.ecr.<region>.amazonaws.com[.cn]``.
_AWS_ECR_HOST = re.compile(r"^\d{12}\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")


@dataclass(frozen=True)
class ImageReference:
    """``registry/repository[:tag][@digest]``, as docker parses it (registry: the first
    path part when it has a dot or a port, or is ``localhost``)."""

    registry: str | None
    repository: str
    tag: str | None
    digest: str | None

    @property
    def by_digest(self) -> str:
        assert self.digest is not None
        return f"{self.registry}/{self.repository}@{self.digest}"


def parse_image(uri: str) -> ImageReference:
    rest, _, digest = uri.partition("@")
    first, slash, path = rest.partition("/")
    registry = None
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, rest = first, path
    name, colon, tag = rest.rpartition(":")
    if not colon or "/" in tag:
        name, tag = rest, ""
    if not name or (digest and not digest.startswith("sha256:")):
        raise DrydockError(f"--image {uri!r} is not URI[:tag][@sha256:digest]")
    return ImageReference(registry, name, tag or None, digest or None)


def is_ecr(registry: str | None, local_registry: str) -> bool:
    """ECR's own host names on AWS; the local cloud's registry (the ECR stand-in) here."""
    return registry is not None and (
        registry == local_registry or bool(_AWS_ECR_HOST.match(registry))
    )


def pin_image(ecr: Any, uri: str, local_registry: str) -> tuple[str, str | None]:
    """The image to register and, when ECR was asked, what it said (for the log)."""
    image = parse_image(uri)
    if not is_ecr(image.registry, local_registry):
        return uri, None
    wanted = {"imageDigest": image.digest} if image.digest else {"imageTag": image.tag or "latest"}
    try:
        details = ecr.describe_images(repositoryName=image.repository, imageIds=[wanted])
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "RepositoryNotFoundException":
            # Pushed to the registry without CreateRepository (the local registry takes
            # that): ECR has no say about it, so it is used as given.
            return uri, f"image {uri}: ECR has no repository {image.repository}; used as given"
        if code == "ImageNotFoundException":
            raise DrydockError(
                f"image {uri} is not in ECR repository {image.repository} "
                f"({code}: {exc.response['Error'].get('Message', '')})"
            ) from exc
        raise
    digest = details["imageDetails"][0]["imageDigest"]
    if image.digest is not None and digest != image.digest:
        raise DrydockError(f"ECR answered digest {digest} for {uri}")
    pinned = ImageReference(image.registry, image.repository, None, digest).by_digest
    said = f"image {uri} is in ECR" + ("" if image.digest else f": pinned to {pinned}")
    return pinned, said
