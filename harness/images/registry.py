"""Push images to the local registry (the ECR stand-in) and name them by digest.

Tasks run ``<registry>/<repository>@sha256:...``: the digest is what the
registry stored, so a container provably runs the pushed image, not a local build.
The registry requires ECR's credentials (``ecr_login``): pushes and lookups carry them,
and a refusal says how to log in.
"""

from __future__ import annotations

from dataclasses import dataclass

import docker
import requests
from docker.errors import APIError, DockerException

from harness.docker_engine.registry_login import RegistryLogin
from harness.errors import RegistryError

LOGIN_COMMAND = (
    "aws ecr get-login-password | docker login --username AWS --password-stdin {registry}"
)
#: What docker says when the registry wants credentials it was not given, or refused them.
NOT_LOGGED_IN = ("no basic auth credentials",)
REFUSED = ("unauthorized", "authentication required", "401")

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


def push_refusal(remote: str, tag: str, registry: str, error: str) -> str:
    """What a failed push says: docker's words, and how to log in when that was why."""
    lowered = error.lower()
    if any(words in lowered for words in NOT_LOGGED_IN):
        return (
            f"push of {remote}:{tag} refused: not logged in to the registry {registry} "
            f"({error}); log in with ECR's credentials: {LOGIN_COMMAND.format(registry=registry)}"
        )
    if any(words in lowered for words in REFUSED):
        return (
            f"push of {remote}:{tag} refused: the registry {registry} did not accept the "
            f"credentials ({error}); log in again with ECR's: "
            f"{LOGIN_COMMAND.format(registry=registry)}"
        )
    return f"push of {remote}:{tag} failed: {error}"


def registry_digest(
    registry: str, repository: str, tag: str, login: RegistryLogin | None = None
) -> str | None:
    """The digest the registry holds for ``repository:tag``, or None when it has none."""
    url = f"http://{registry}/v2/{repository}/manifests/{tag}"
    try:
        response = requests.head(
            url,
            headers={"Accept": MANIFEST_TYPES},
            auth=login.basic_auth() if login else None,
            timeout=5,
        )
    except requests.RequestException as exc:
        raise RegistryError(
            f"the registry at {registry} is not answering ({exc.__class__.__name__}); "
            "start it (the local cloud's registry: `drydock stack up`) or point "
            "DRYDOCK_REGISTRY_PORT at one that runs"
        ) from exc
    if response.status_code == 404:
        return None
    if response.status_code == 401:
        given = "the credentials given" if login else "no credentials"
        raise RegistryError(
            f"registry {registry} refused {given} for {url} (401); log in with ECR's "
            f"credentials: {LOGIN_COMMAND.format(registry=registry)}"
        )
    if response.status_code != 200:
        raise RegistryError(f"registry {registry} answered {response.status_code} for {url}")
    return response.headers.get("Docker-Content-Digest")


def push_image(
    client: docker.DockerClient,
    local_ref: str,
    registry: str,
    repository: str,
    tag: str,
    login: RegistryLogin | None,
) -> PushedImage:
    """Tag and push ``local_ref``; skip the upload when the registry has this very image.

    ``login``: ECR's credentials (``harness.images.ecr_login``); None pushes without
    any, which Drydock's registry refuses (said so in the error)."""
    remote = f"{registry}/{repository}"
    image = client.images.get(local_ref)
    known = registry_digest(registry, repository, tag, login)
    if known and any(d == f"{remote}@{known}" for d in image.attrs.get("RepoDigests", [])):
        return PushedImage(remote, tag, known, pushed=False)
    image.tag(remote, tag=tag)
    digest = None
    try:
        pushing = client.api.push(
            remote,
            tag=tag,
            stream=True,
            decode=True,
            auth_config=login.auth_config() if login else None,
        )
        for event in pushing:
            if "error" in event:
                raise RegistryError(push_refusal(remote, tag, registry, event["error"]))
            digest = event.get("aux", {}).get("Digest", digest)
    except (APIError, DockerException) as exc:
        raise RegistryError(f"push of {remote}:{tag} to {registry} failed: {exc}") from exc
    if digest is None:
        raise RegistryError(f"push of {remote}:{tag} reported no digest")
    return PushedImage(remote, tag, digest, pushed=True)
