"""The registry's HTTP API v2 (distribution), as ECR's :class:`RegistryPort`.

The emulator reaches the registry by its compose name on the network when it runs in
compose (``http://registry:5000``) and by its published port when it runs on the host
(``DRYDOCK_EMULATOR_REGISTRY_URL``, see :mod:`harness.settings`). Manifests are asked
for with docker v2 schema 2 and OCI media types in ``Accept`` (without them
distribution answers in the old schema 1 and a different digest); deleting needs the
registry's ``storage.delete.enabled``. The registry requires the password ECR hands out
(htpasswd, user ``AWS``): every request carries it as basic auth.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from urllib.parse import urljoin

import requests

from harness.ecs.control_plane.ecr.registry_port import (
    MANIFEST_MEDIA_TYPES,
    Manifest,
    RegistryReply,
    RegistryUnavailable,
)

TIMEOUT_S = 10.0
PAGE_SIZE = 1000
#: What a relayed manifest PUT's answer keeps: what docker reads from distribution's.
RELAYED_HEADERS = (
    "Content-Type",
    "Location",
    "Docker-Content-Digest",
    "Docker-Distribution-Api-Version",
    "WWW-Authenticate",
)


class RegistryApi:
    """``base_url``: ``http://host:port`` of the registry; ``auth``: (user, password)."""

    def __init__(
        self,
        base_url: str,
        session: requests.Session | None = None,
        auth: tuple[str, str] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = session or requests.Session()
        if auth is not None:
            self._session.auth = auth

    def tags(self, repository: str) -> list[str]:
        found: list[str] = []
        url: str | None = f"{self.base_url}/v2/{repository}/tags/list?n={PAGE_SIZE}"
        while url is not None:
            response = self._request("GET", url)
            if response.status_code == 404:  # NAME_UNKNOWN: nothing pushed under this name
                return []
            self._expect(response, 200)
            found += response.json().get("tags") or []
            following = response.links.get("next", {}).get("url")
            url = urljoin(self.base_url + "/", following) if following else None
        return found

    def manifest(
        self, repository: str, reference: str, accept: Sequence[str] = MANIFEST_MEDIA_TYPES
    ) -> Manifest | None:
        response = self._request(
            "GET",
            f"{self.base_url}/v2/{repository}/manifests/{reference}",
            headers={"Accept": ", ".join(accept)},
        )
        if response.status_code == 404:
            return None
        self._expect(response, 200)
        body = response.content
        digest = response.headers.get("Docker-Content-Digest")
        return Manifest(
            digest=digest or "sha256:" + hashlib.sha256(body).hexdigest(),
            media_type=response.headers.get("Content-Type", "").split(";")[0].strip(),
            body=body,
        )

    def delete_manifest(self, repository: str, digest: str) -> bool:
        response = self._request("DELETE", f"{self.base_url}/v2/{repository}/manifests/{digest}")
        if response.status_code == 404:
            return False
        if response.status_code == 405:
            raise RegistryUnavailable(
                f"{self.base_url} refuses to delete manifests: start it with "
                "REGISTRY_STORAGE_DELETE_ENABLED=true (storage.delete.enabled)"
            )
        self._expect(response, 202)
        return True

    def put_manifest(self, repository: str, tag: str, manifest: Manifest) -> None:
        response = self._request(
            "PUT",
            f"{self.base_url}/v2/{repository}/manifests/{tag}",
            headers={"Content-Type": manifest.media_type},
            data=manifest.body,
        )
        self._expect(response, 201)

    def relay_manifest_put(
        self, repository: str, reference: str, media_type: str, body: bytes
    ) -> RegistryReply:
        response = self._request(
            "PUT",
            f"{self.base_url}/v2/{repository}/manifests/{reference}",
            headers={"Content-Type": media_type},
            data=body,
        )
        headers = {k: response.headers[k] for k in RELAYED_HEADERS if k in response.headers}
        return RegistryReply(response.status_code, headers, response.content)

    def _request(self, method: str, url: str, **kwargs: object) -> requests.Response:
        try:
            return self._session.request(method, url, timeout=TIMEOUT_S, **kwargs)  # type: ignore[arg-type]
        except requests.RequestException as exc:
            raise RegistryUnavailable(
                f"the registry at {self.base_url} is not answering ({exc.__class__.__name__})"
            ) from exc

    def _expect(self, response: requests.Response, status: int) -> None:
        if response.status_code != status:
            raise RegistryUnavailable(
                f"{response.request.method} {response.url} answered {response.status_code}: "
                f"{response.text[:200]}"
            )
