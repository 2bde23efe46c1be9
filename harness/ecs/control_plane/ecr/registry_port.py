"""What ECR's image operations need from the registry that stores the images.

The images ECR describes live in a real registry (distribution, the ECR stand-in);
the control plane reads and deletes them only through :class:`RegistryPort`, so unit
tests give it an in-memory fake and the emulator the HTTP API v2 client
(:mod:`harness.ecs.runtime.registry_api`). Implementations raise
:class:`RegistryUnavailable` when the registry cannot answer; the ECR operations turn
that into ECR's ``ServerException``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
#: What we accept from the registry, best first: docker v2 schema 2 and OCI, image
#: manifests and multi-platform lists (without these the registry falls back to schema 1).
MANIFEST_MEDIA_TYPES: tuple[str, ...] = (
    DOCKER_MANIFEST,
    OCI_MANIFEST,
    DOCKER_MANIFEST_LIST,
    OCI_INDEX,
)


class RegistryUnavailable(Exception):
    """The registry did not answer, or answered with something we cannot use."""


@dataclass(frozen=True)
class Manifest:
    """A manifest as the registry serves it: its digest, media type and exact bytes."""

    digest: str
    media_type: str
    body: bytes

    def document(self) -> dict[str, Any]:
        try:
            parsed = json.loads(self.body)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}

    @property
    def size_in_bytes(self) -> int | None:
        """The image's size as ECR reports it: its compressed layers and config.

        None for a manifest list / index, which has no layers of its own.
        """
        document = self.document()
        if "layers" not in document:
            return None
        layers = sum(int(layer.get("size", 0)) for layer in document["layers"])
        return layers + int((document.get("config") or {}).get("size", 0))

    @property
    def artifact_media_type(self) -> str | None:
        """The config's media type (ECR's ``artifactMediaType``)."""
        return (self.document().get("config") or {}).get("mediaType")


@dataclass(frozen=True)
class RegistryReply:
    """The registry's answer to a request relayed to it, to be sent on to the client."""

    status: int
    headers: dict[str, str]
    body: bytes


class RegistryPort(Protocol):
    """The registry's HTTP API v2, reduced to what ECR's operations use."""

    def tags(self, repository: str) -> list[str]:
        """Every tag of ``repository``; empty when the registry has no such repository."""
        ...

    def manifest(
        self,
        repository: str,
        reference: str,
        accept: Sequence[str] = MANIFEST_MEDIA_TYPES,
    ) -> Manifest | None:
        """The manifest ``reference`` (a tag or a digest) names, or None."""
        ...

    def delete_manifest(self, repository: str, digest: str) -> bool:
        """Delete the manifest and every tag on it; False when there was none."""
        ...

    def put_manifest(self, repository: str, tag: str, manifest: Manifest) -> None:
        """Point ``tag`` at ``manifest`` (its exact bytes, so the digest is unchanged)."""
        ...

    def relay_manifest_put(
        self, repository: str, reference: str, media_type: str, body: bytes
    ) -> RegistryReply:
        """``PUT /v2/<repository>/manifests/<reference>`` as a client sent it; the
        registry's answer whatever it is (its own errors go back to the client)."""
        ...
