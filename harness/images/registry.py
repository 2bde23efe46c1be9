"""Push images to the local registry (the ECR stand-in) and name them by digest.

Tasks run ``<registry>/<repository>@sha256:...``: the digest is what the
registry stored, so a container provably runs the pushed image, not a local build.
"""

from __future__ import annotations

from dataclasses import dataclass

import docker
import requests
from docker.errors import APIError, DockerException

from harness.errors import RegistryError

MANIFEST_TYPES = ", ".join(
    [
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
    ]
)


@dataclass(frozen=True)
class PushedImage:
    repository: str  # 127.0.0.1:5050/drydock/serving
    tag: str
    digest: str  # sha256:...
    pushed: bool  # False when the registry already had this digest

    @property
    def by_digest(self) -> str:
        return f"{self.repository}@{self.digest}"

    @property
    def by_tag(self) -> str:
        return f"{self.repository}:{self.tag}"


def registry_digest(registry: str, repository: str, tag: str) -> str | None:
    """The digest the registry holds for ``repository:tag``, or None when it has none."""
    url = f"http://{registry}/v2/{repository}/manifests/{tag}"
    try:
        response = requests.head(url, headers={"Accept": MANIFEST_TYPES}, timeout=5)
    except requests.RequestException as exc:
        raise RegistryError(
            f"the registry at {registry} is not answering ({exc.__class__.__name__}); "
            "start it (the local cloud's registry: `drydock stack up`) or point "
            "DRYDOCK_REGISTRY_PORT at one that runs"
        ) from exc
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise RegistryError(f"registry {registry} answered {response.status_code} for {url}")
    return response.headers.get("Docker-Content-Digest")


def push_image(
    client: docker.DockerClient, local_ref: str, registry: str, repository: str, tag: str
) -> PushedImage:
    """Tag and push ``local_ref``; skip the upload when the registry has this very image."""
    remote = f"{registry}/{repository}"
    image = client.images.get(local_ref)
    known = registry_digest(registry, repository, tag)
    if known and any(d == f"{remote}@{known}" for d in image.attrs.get("RepoDigests", [])):
        return PushedImage(remote, tag, known, pushed=False)
    image.tag(remote, tag=tag)
    digest = None
    try:
        for event in client.api.push(remote, tag=tag, stream=True, decode=True):
            if "error" in event:
                raise RegistryError(f"push of {remote}:{tag} failed: {event['error']}")
            digest = event.get("aux", {}).get("Digest", digest)
    except (APIError, DockerException) as exc:
        raise RegistryError(f"push of {remote}:{tag} to {registry} failed: {exc}") from exc
    if digest is None:
        raise RegistryError(f"push of {remote}:{tag} reported no digest")
    return PushedImage(remote, tag, digest, pushed=True)
