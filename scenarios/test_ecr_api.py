"""ECR on the real stack: the compose emulator's ECR API over the real registry.

The story a CI job tells: create a repository, log in with
``aws ecr get-login-password | docker login --password-stdin``, push an image to the
``repositoryUri``, see it through DescribeImages / ListImages / BatchGetImage, then
delete it with BatchDeleteImage. The image is a tiny one built FROM the stack's base
image (no pulls here). The docker CLI runs with a config folder of its own, so the
login lands there and nowhere else. That the registry requires the login is
``test_registry_auth``'s story.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from harness.aws import aws_client
from harness.images.ecr_login import ecr_login
from harness.images.registry import MANIFEST_TYPES
from harness.testing import Isolation, LocalCloud

from .ecr_cli import build_tiny_image, cli_env, ecr_repository, login_command, run_cli

__all__ = ["cli_env"]  # a fixture the scenarios here use


def _run(command: list[str] | str, env: dict[str, str], **kwargs: Any) -> str:
    return run_cli(command, env, **kwargs).stdout


pytestmark = [pytest.mark.docker, pytest.mark.timeout(600)]


@pytest.fixture
def repository(drydock_cloud: LocalCloud, drydock_isolation: Isolation) -> Iterator[dict[str, Any]]:
    """A fresh repository on the compose emulator, force-deleted afterwards."""
    with ecr_repository(
        drydock_cloud,
        f"drydock-scenarios/ecr-{drydock_isolation.suffix}",
        imageScanningConfiguration={"scanOnPush": True},
        encryptionConfiguration={"encryptionType": "AES256"},
    ) as created:
        yield created


@pytest.fixture
def tiny_image(
    drydock_cloud: LocalCloud, drydock_isolation: Isolation, tmp_path: Path
) -> Iterator[str]:
    """A one-file image on the stack's base image, unique to this scenario."""
    tag = f"drydock-scenarios/ecr-tiny:{drydock_isolation.suffix}"
    image = build_tiny_image(drydock_cloud, tmp_path / "image", drydock_isolation.suffix, tag)
    try:
        yield image
    finally:
        drydock_cloud.client.images.remove(image, force=True)


def test_push_to_an_ecr_repository_and_see_the_image_through_the_ecr_api(
    drydock_cloud: LocalCloud,
    repository: dict[str, Any],
    tiny_image: str,
    cli_env: dict[str, str],
) -> None:
    settings = drydock_cloud.settings
    ecr = aws_client("ecr", settings)
    name, uri = repository["repositoryName"], repository["repositoryUri"]
    assert uri == f"127.0.0.1:{settings.registry_port}/{name}"
    assert repository["imageScanningConfiguration"] == {"scanOnPush": True}

    # the CI job's login, as written in a pipeline
    login = _run(login_command(drydock_cloud), cli_env, shell=True)
    assert "Login Succeeded" in login
    saved = json.loads((Path(cli_env["DOCKER_CONFIG"]) / "config.json").read_text())
    assert f"127.0.0.1:{settings.registry_port}" in saved["auths"]

    for tag in ("v1", "extra"):
        _run(["docker", "tag", tiny_image, f"{uri}:{tag}"], cli_env)
    pushed = _run(["docker", "push", f"{uri}:v1"], cli_env)
    digest = re.search(r"digest: (sha256:[0-9a-f]{64})", pushed)
    assert digest, pushed
    digest = digest.group(1)
    _run(["docker", "push", f"{uri}:extra"], cli_env)

    ids = ecr.list_images(repositoryName=name)["imageIds"]
    assert sorted(ids, key=lambda i: i["imageTag"]) == [
        {"imageDigest": digest, "imageTag": "extra"},
        {"imageDigest": digest, "imageTag": "v1"},
    ]
    [detail] = ecr.describe_images(repositoryName=name)["imageDetails"]
    assert detail["imageDigest"] == digest
    assert sorted(detail["imageTags"]) == ["extra", "v1"]
    assert detail["imageSizeInBytes"] > 1000
    assert detail["imageManifestMediaType"] in MANIFEST_TYPES
    [image] = ecr.batch_get_image(repositoryName=name, imageIds=[{"imageTag": "v1"}])["images"]
    assert image["imageId"] == {"imageTag": "v1", "imageDigest": digest}
    # the manifest's config is the image the engine built: the very image was pushed
    assert json.loads(image["imageManifest"])["config"]["digest"] == tiny_image

    # one tag of two: the other tag keeps the same image
    deleted = ecr.batch_delete_image(repositoryName=name, imageIds=[{"imageTag": "extra"}])
    assert deleted["imageIds"] == [{"imageDigest": digest, "imageTag": "extra"}]
    assert deleted["failures"] == []
    assert ecr.list_images(repositoryName=name)["imageIds"] == [
        {"imageDigest": digest, "imageTag": "v1"}
    ]
    registry = f"http://127.0.0.1:{settings.registry_port}/v2/{name}"
    auth = ecr_login(settings).basic_auth()  # the registry requires ECR's credentials
    head = requests.head(
        f"{registry}/manifests/v1", headers={"Accept": MANIFEST_TYPES}, auth=auth, timeout=5
    )
    assert head.headers["Docker-Content-Digest"] == digest

    # the last one, by digest: gone from the registry too
    deleted = ecr.batch_delete_image(repositoryName=name, imageIds=[{"imageDigest": digest}])
    assert deleted["imageIds"] == [{"imageDigest": digest, "imageTag": "v1"}]
    assert ecr.list_images(repositoryName=name)["imageIds"] == []
    gone = requests.head(
        f"{registry}/manifests/{digest}", headers={"Accept": MANIFEST_TYPES}, auth=auth, timeout=5
    )
    assert gone.status_code == 404
    with pytest.raises(ClientError) as excinfo:
        ecr.describe_images(repositoryName=name, imageIds=[{"imageDigest": digest}])
    assert excinfo.value.response["Error"]["Code"] == "ImageNotFoundException"
