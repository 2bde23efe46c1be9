"""The registry's manifest PUT, as the registry gate sends it here: protocol only.

``docker push`` ends with ``PUT /v2/<name>/manifests/<tag>``; the gate (HAProxy in
front of distribution, ``docker/registry-gate``) routes exactly that request to the
emulator, which applies ECR's tag immutability
(:mod:`harness.ecs.control_plane.ecr.manifest_push`) and relays it to the registry.
Answers are in the registry's own error shape (``{"errors": [{"code", "message"}]}``),
so docker prints them as it prints distribution's: ``tag invalid: The image tag 'v1'
already exists in the 'team/app' repository and cannot be overwritten because the
repository is immutable.``
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets

from werkzeug.wrappers import Request, Response

from harness.ecs.api.body_limits import read_within
from harness.ecs.control_plane import ControlPlane, ControlPlaneError
from harness.ecs.control_plane.ecr.credentials import USER
from harness.ecs.control_plane.ecr.errors import ImageTagAlreadyExistsException
from harness.ecs.control_plane.ecr.manifest_push import push_manifest

MANIFEST_PATH = re.compile(r"^/v2/(?P<name>.+)/manifests/(?P<reference>[^/]+)$")
#: distribution's own ceiling for a manifest (v3's ``validation.manifests``' default).
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
REALM = "Drydock ECR"
LOGIN_HINT = (
    "log in first: aws ecr get-login-password | docker login --username AWS "
    "--password-stdin <registry>"
)


def is_manifest_push(request: Request) -> bool:
    return request.method == "PUT" and MANIFEST_PATH.match(request.path) is not None


def handle(request: Request, control_plane: ControlPlane) -> Response:
    match = MANIFEST_PATH.match(request.path)
    assert match is not None, "route with is_manifest_push first"
    if not _authorized(request, control_plane.ecr.credentials.password):
        return registry_error(
            401,
            "UNAUTHORIZED",
            f"authentication required: {LOGIN_HINT}",
            {"WWW-Authenticate": f'Basic realm="{REALM}"'},
        )
    too_large = read_within(request, MAX_MANIFEST_BYTES, form=False)
    if too_large is not None:
        return registry_error(413, "MANIFEST_INVALID", f"manifest over {MAX_MANIFEST_BYTES} bytes")
    media_type = (request.content_type or "").split(";")[0].strip()
    try:
        reply = push_manifest(
            control_plane,
            match["name"],
            match["reference"],
            media_type,
            request.get_data(cache=True),
        )
    except ImageTagAlreadyExistsException as exc:
        return registry_error(400, "TAG_INVALID", exc.message)
    except ControlPlaneError as exc:
        return registry_error(503, "UNAVAILABLE", exc.message)
    return Response(reply.body, status=reply.status, headers=reply.headers)


def registry_error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    """distribution's error body: docker prints ``<code in words>: <message>``."""
    return Response(
        json.dumps({"errors": [{"code": code, "message": message}]}),
        status=status,
        content_type="application/json",
        headers={"Docker-Distribution-Api-Version": "registry/2.0", **(headers or {})},
    )


def _authorized(request: Request, password: str) -> bool:
    """Basic auth as ``AWS`` with ECR's password (what ``docker login`` stored)."""
    scheme, _, encoded = (request.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, given = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return secrets.compare_digest(user.encode(), USER.encode()) & secrets.compare_digest(
        given.encode(), password.encode()
    )
