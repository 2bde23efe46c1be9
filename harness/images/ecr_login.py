"""Log in to the registry with ECR's credentials: the one way Drydock gets them.

What ``aws ecr get-login-password | docker login --username AWS --password-stdin
<registry>`` does, in-process: GetAuthorizationToken through the one client factory
(:func:`harness.aws.aws_client`, so ``AWS_ENDPOINT_URL_ECR`` and friends apply), the
token decoded to user and password, for the registry images are pushed to. The service
pipeline, the demo and the scenario kit push and pull with what this returns.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from harness.aws import aws_client
from harness.docker_engine.registry_login import RegistryLogin
from harness.errors import RegistryError
from harness.settings import DrydockSettings


def decode_authorization(data: dict[str, Any], registry: str) -> RegistryLogin:
    """One ``authorizationData`` entry as a login to ``registry``.

    The token is ``base64("AWS:<password>")``; ECR's ``proxyEndpoint`` names the
    registry it is for, but the caller names where it pushes (as with ``docker login
    <registry>``), so a registry reached another way is logged in to the same.
    """
    try:
        user, separator, password = (
            base64.b64decode(data["authorizationToken"], validate=True).decode().partition(":")
        )
    except (KeyError, binascii.Error, UnicodeDecodeError) as exc:
        raise RegistryError(f"ECR's authorization token is unreadable ({exc!r})") from exc
    if not separator or not user or not password:
        raise RegistryError("ECR's authorization token is not base64('user:password')")
    return RegistryLogin(registry, user, password)


def ecr_login(settings: DrydockSettings, registry: str | None = None) -> RegistryLogin:
    """ECR's credentials for ``registry`` (default: the local cloud's, ``settings``')."""
    registry = registry or settings.registry_address
    ecr = aws_client("ecr", settings)
    try:
        answer = ecr.get_authorization_token()
    except (BotoCoreError, ClientError) as exc:
        raise RegistryError(
            f"cannot log in to the registry {registry}: ECR's GetAuthorizationToken at "
            f"{ecr.meta.endpoint_url} failed ({exc}); start the local cloud "
            "(`drydock stack up`) or point AWS_ENDPOINT_URL_ECR at an ECR that answers"
        ) from exc
    entries = answer.get("authorizationData") or []
    if not entries:
        raise RegistryError(f"ECR at {ecr.meta.endpoint_url} returned no authorization data")
    return decode_authorization(entries[0], registry)
