"""An in-memory registry behind ECR's RegistryPort, behaving as distribution does:
tags point to manifests by digest, deleting a manifest drops every tag on it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from harness.ecs.control_plane.ecr import Manifest, RegistryUnavailable
from harness.ecs.control_plane.ecr.registry_port import (
    DOCKER_MANIFEST,
    MANIFEST_MEDIA_TYPES,
    RegistryReply,
)

CONFIG_TYPE = "application/vnd.docker.container.image.v1+json"


def image_manifest(
    seed: str, layer_sizes: Sequence[int] = (1000, 234), config_size: int = 50
) -> Manifest:
    """A docker v2 schema 2 manifest; ``seed`` makes its digest unique."""
    document = {
        "schemaVersion": 2,
        "mediaType": DOCKER_MANIFEST,
        "config": {
            "mediaType": CONFIG_TYPE,
            "size": config_size,
            "digest": "sha256:" + hashlib.sha256(f"config-{seed}".encode()).hexdigest(),
        },
        "layers": [
            {
                "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                "size": size,
                "digest": "sha256:" + hashlib.sha256(f"{seed}-{i}".encode()).hexdigest(),
            }
            for i, size in enumerate(layer_sizes)
        ],
    }
    body = json.dumps(document, indent=3).encode()
    return Manifest("sha256:" + hashlib.sha256(body).hexdigest(), DOCKER_MANIFEST, body)


class FakeRegistry:
    def __init__(self) -> None:
        self.manifests: dict[str, dict[str, Manifest]] = {}
        self.tag_index: dict[str, dict[str, str]] = {}
        self.available = True
        self.accept_seen: list[tuple[str, ...]] = []
        #: Manifest PUTs that reached the registry: (repository, reference, digest).
        self.relayed: list[tuple[str, str, str]] = []

    def push(self, repository: str, tag: str, manifest: Manifest) -> Manifest:
        self._check()
        self.manifests.setdefault(repository, {})[manifest.digest] = manifest
        self.tag_index.setdefault(repository, {})[tag] = manifest.digest
        return manifest

    # --- RegistryPort

    def tags(self, repository: str) -> list[str]:
        self._check()
        return sorted(self.tag_index.get(repository, {}))

    def manifest(
        self, repository: str, reference: str, accept: Sequence[str] = MANIFEST_MEDIA_TYPES
    ) -> Manifest | None:
        self._check()
        self.accept_seen.append(tuple(accept))
        digest = self.tag_index.get(repository, {}).get(reference, reference)
        return self.manifests.get(repository, {}).get(digest)

    def delete_manifest(self, repository: str, digest: str) -> bool:
        self._check()
        if self.manifests.get(repository, {}).pop(digest, None) is None:
            return False
        tags = self.tag_index.get(repository, {})
        for tag in [t for t, d in tags.items() if d == digest]:
            del tags[tag]
        return True

    def put_manifest(self, repository: str, tag: str, manifest: Manifest) -> None:
        self.push(repository, tag, manifest)

    def relay_manifest_put(
        self, repository: str, reference: str, media_type: str, body: bytes
    ) -> RegistryReply:
        """Store the manifest as distribution would and answer 201 with its digest."""
        manifest = Manifest("sha256:" + hashlib.sha256(body).hexdigest(), media_type, body)
        self._check()
        self.relayed.append((repository, reference, manifest.digest))
        self.manifests.setdefault(repository, {})[manifest.digest] = manifest
        if not reference.startswith("sha256:"):
            self.tag_index.setdefault(repository, {})[reference] = manifest.digest
        return RegistryReply(
            201,
            {
                "Docker-Content-Digest": manifest.digest,
                "Location": f"/v2/{repository}/manifests/{manifest.digest}",
            },
            b"",
        )

    def _check(self) -> None:
        if not self.available:
            raise RegistryUnavailable(
                "the registry at http://fake:5000 is not answering (ConnectionError)"
            )
