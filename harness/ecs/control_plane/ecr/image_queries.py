"""ECR's view of a repository's images, read from the registry through its port.

The registry's HTTP API lists tags, not manifests, so ECR's images here are the
manifests some tag points to: an untagged manifest cannot be listed (``tagStatus``
``UNTAGGED`` finds nothing), though it can still be named by digest.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.ecs.control_plane.ecr.registry_port import (
    MANIFEST_MEDIA_TYPES,
    Manifest,
    RegistryPort,
)

#: ECR's rule for an image digest (its failure reason quotes it).
DIGEST_PATTERN = "[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+"


@dataclass
class StoredImage:
    """One manifest in the repository and the tags that point to it."""

    manifest: Manifest
    tags: list[str] = field(default_factory=list)

    @property
    def digest(self) -> str:
        return self.manifest.digest

    def identifiers(self) -> list[dict[str, str]]:
        """ECR's ``ImageIdentifier`` list: one per tag, or the bare digest when untagged."""
        if not self.tags:
            return [{"imageDigest": self.digest}]
        return [{"imageDigest": self.digest, "imageTag": tag} for tag in self.tags]


def tagged_images(registry: RegistryPort, repository: str) -> list[StoredImage]:
    """Every manifest a tag points to, each once with all its tags, in tag order."""
    by_digest: dict[str, StoredImage] = {}
    for tag in registry.tags(repository):
        manifest = registry.manifest(repository, tag)
        if manifest is None:  # deleted between the listing and now
            continue
        by_digest.setdefault(manifest.digest, StoredImage(manifest)).tags.append(tag)
    return list(by_digest.values())


def is_valid_digest(digest: str) -> bool:
    return re.fullmatch(DIGEST_PATTERN, digest) is not None


def find_image(
    registry: RegistryPort,
    repository: str,
    image_id: dict[str, str],
    accept: Sequence[str] = MANIFEST_MEDIA_TYPES,
) -> StoredImage | None:
    """The image ``image_id`` names (by tag, digest, or both, which must agree), or None."""
    tag, digest = image_id.get("imageTag"), image_id.get("imageDigest")
    reference = tag or digest
    if reference is None:
        return None
    manifest = registry.manifest(repository, reference, accept)
    if manifest is None or (digest is not None and manifest.digest != digest):
        return None
    tags = [
        t
        for t in registry.tags(repository)
        if t == tag or _points_to(registry, repository, t, manifest)
    ]
    return StoredImage(manifest, tags)


def _points_to(registry: RegistryPort, repository: str, tag: str, manifest: Manifest) -> bool:
    found = registry.manifest(repository, tag)
    return found is not None and found.digest == manifest.digest


NOT_FOUND = "Requested image not found"


def resolved_images(
    registry: RegistryPort,
    repository: str,
    image_ids: list[dict[str, str]],
    failures: list[dict[str, Any]],
    accept: Sequence[str] = MANIFEST_MEDIA_TYPES,
) -> Iterator[tuple[dict[str, str], StoredImage]]:
    """Each usable image id with the image it names, the way ECR's batch calls report:
    the others' ``ImageFailure`` go to ``failures``. Each id is looked up only when the
    iteration reaches it, so it sees what the ids before it changed."""
    for image_id in image_ids:
        failure = check_image_id(image_id)
        image = find_image(registry, repository, image_id, accept) if failure is None else None
        if failure is None and image is None:
            failure = image_failure(image_id, "ImageNotFound", NOT_FOUND)
        if failure is not None:
            failures.append(failure)
            continue
        assert image is not None
        yield image_id, image


def image_failure(image_id: dict[str, str], code: str, reason: str) -> dict[str, Any]:
    """ECR's ``ImageFailure``."""
    return {"imageId": dict(image_id), "failureCode": code, "failureReason": reason}


def check_image_id(image_id: dict[str, str]) -> dict[str, Any] | None:
    """The failure ECR reports for a malformed image id, or None when it is usable."""
    if not image_id.get("imageTag") and not image_id.get("imageDigest"):
        return image_failure(
            image_id,
            "MissingDigestAndTag",
            "Invalid request parameters: both tag and digest cannot be null",
        )
    digest = image_id.get("imageDigest")
    if digest is not None and not is_valid_digest(digest):
        return image_failure(
            image_id,
            "InvalidImageDigest",
            f"Invalid request parameters: image digest should satisfy the regex '{DIGEST_PATTERN}'",
        )
    return None
