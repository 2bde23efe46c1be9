"""The one way Drydock builds a boto3 client, for every AWS service it talks to.

Drydock's code only ever receives a client, so moving a pipeline to real AWS is
configuration, not code. Where a client points, in the order the AWS CLI and boto3
themselves use:

1. an endpoint given on the command line (``--endpoint-url``; ``""`` means AWS itself);
2. the AWS conventions: ``AWS_ENDPOINT_URL_<SERVICE>``, ``AWS_ENDPOINT_URL`` and a
   profile's ``endpoint_url`` (boto3 resolves them; Drydock only steps aside);
3. Drydock's own default: the local cloud (LocalStack for S3, the emulator for ECS,
   ELBv2 and the rest), unless ``DRYDOCK_AWS_TARGET=aws``.

The region comes from ``AWS_REGION`` / ``AWS_DEFAULT_REGION`` / the profile, else
``DRYDOCK_REGION``. Credentials for a local endpoint are dummies unless the
environment or ``AWS_PROFILE`` names real ones; the credential chain is never asked
for them on a local target (it would probe the instance metadata address).
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from botocore.config import Config
from botocore.configprovider import ConfiguredEndpointProvider

from harness.settings import DrydockSettings

#: Generous timeouts (the machine running the local cloud is often busy) and a retry.
CLIENT_CONFIG = Config(
    connect_timeout=5, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"}
)
# Path-style addressing: LocalStack on 127.0.0.1 has no per-bucket DNS names.
S3_CONFIG = CLIENT_CONFIG.merge(Config(s3={"addressing_style": "path"}))
LOCAL_CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}

#: Services the local cloud serves from LocalStack; every other one is the emulator's.
_LOCALSTACK_SERVICES = frozenset({"s3"})


def aws_client(
    service: str,
    settings: DrydockSettings,
    *,
    endpoint_url: str | None = None,
    region_name: str | None = None,
    config: Config | None = None,
) -> Any:
    """A boto3 client for ``service`` (``s3``, ``ecs``, ``elbv2``, ...), resolved as above.

    ``endpoint_url``: ``None`` to follow the conventions and defaults, ``""`` for AWS's
    own endpoint, a URL to use that URL. ``region_name`` (a ``--region`` flag) wins
    over the environment.
    """
    session = boto3.Session(profile_name=os.environ.get("AWS_PROFILE") or None)
    endpoint = _endpoint(service, settings, session, endpoint_url)
    credentials: dict[str, str] = {}
    if endpoint is not None and not _real_credentials_named():
        credentials = LOCAL_CREDENTIALS
    config = config or (S3_CONFIG if service == "s3" else CLIENT_CONFIG)
    if endpoint_url == "":
        # AWS's own endpoint, asked for by name: boto3 must not apply AWS_ENDPOINT_URL*.
        config = config.merge(Config(ignore_configured_endpoint_urls=True))
    return session.client(
        service,
        region_name=region_name or region(settings, session),
        endpoint_url=endpoint,
        config=config,
        **credentials,
    )


def s3_client(settings: DrydockSettings) -> Any:
    """The S3 client of the model store: LocalStack, or wherever the conventions say."""
    return aws_client("s3", settings)


def region(settings: DrydockSettings, session: boto3.Session | None = None) -> str:
    """``AWS_REGION``, then ``AWS_DEFAULT_REGION`` or the profile's, then Drydock's."""
    if os.environ.get("AWS_REGION"):
        return os.environ["AWS_REGION"]
    if session is None:
        session = boto3.Session(profile_name=os.environ.get("AWS_PROFILE") or None)
    return session.region_name or settings.region


def local_endpoint(service: str, settings: DrydockSettings) -> str:
    """Where the local cloud serves ``service``: LocalStack's edge (as localstack-client
    names it) for the services LocalStack runs here, the emulator for the rest."""
    if service in _LOCALSTACK_SERVICES:
        # Imported here: the emulator image ships without localstack-client (sdist only).
        from localstack_client.config import get_service_endpoint

        edge = get_service_endpoint(
            service, localstack_host=f"{settings.host}:{settings.localstack_port}"
        )
        return edge or settings.localstack_url
    return settings.ecs_url


def _endpoint(
    service: str,
    settings: DrydockSettings,
    session: boto3.Session,
    explicit: str | None,
) -> str | None:
    if explicit is not None:
        return explicit or None
    botocore_session = session._session
    configured = ConfiguredEndpointProvider(
        full_config=botocore_session.full_config,
        scoped_config=botocore_session.get_scoped_config(),
        client_name=service,
    ).provide()
    if configured:
        return str(configured)
    if settings.aws_target == "aws":
        return None
    return local_endpoint(service, settings)


def _real_credentials_named() -> bool:
    """Whether the user named credentials (variables or a profile) that should be used."""
    return bool(os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE"))
