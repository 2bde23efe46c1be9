"""ECR on the real stack: the compose emulator's ECR API over the real registry.

The story a CI job tells: create a repository, log in with
``aws ecr get-login-password | docker login --password-stdin``, push an image to the
``repositoryUri``, see it through DescribeImages / ListImages / BatchGetImage, then
delete it with BatchDeleteImage. The image is a tiny one built FROM the stack's base
image (no pulls here). The docker CLI runs with a config folder of its own, so the
login lands there and nowhere else. The registry does not require the login yet: this
proves the handshake works, not that anonymous pushes are refused.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from harness.aws import aws_client
from harness.images.registry import MANIFEST_TYPES
from harness.testing import Isolation, LocalCloud

pytestmark = [pytest.mark.docker, pytest.mark.timeout(600)]


def _run(command: list[str] | str, env: dict[str, str], **kwargs: Any) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, **kwargs)
    assert done.returncode == 0, f"{command}: {done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """The AWS CLI with dummy credentials and an empty config; docker with its own config."""
    (tmp_path / "docker").mkdir()
    return {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "aws-credentials"),
        "HOME": str(tmp_path),
        "DOCKER_CONFIG": str(tmp_path / "docker"),
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
    }


@pytest.fixture
def repository(drydock_cloud: LocalCloud, drydock_isolation: Isolation) -> Iterator[dict[str, Any]]:
    """A fresh repository on the compose emulator, force-deleted afterwards."""
    ecr = aws_client("ecr", drydock_cloud.settings)
    name = f"drydock-scenarios/ecr-{drydock_isolation.suffix}"
    created = ecr.create_repository(
        repositoryName=name,
        imageScanningConfiguration={"scanOnPush": True},
        encryptionConfiguration={"encryptionType": "AES256"},
    )["repository"]
    try:
        yield created
    finally:
        try:
            ecr.delete_repository(repositoryName=name, force=True)
        except ClientError as error:
            if error.response["Error"]["Code"] != "RepositoryNotFoundException":
                raise


@pytest.fixture
def tiny_image(
    drydock_cloud: LocalCloud, drydock_isolation: Isolation, tmp_path: Path
) -> Iterator[str]:
    """A one-file image on the stack's base image, unique to this scenario."""
    context = tmp_path / "image"
    context.mkdir()
    (context / "scenario.txt").write_text(drydock_isolation.suffix)
    base = drydock_cloud.resolver.base_ref()
    (context / "Dockerfile").write_text(f"FROM {base}\nCOPY scenario.txt /scenario.txt\n")
    tag = f"drydock-scenarios/ecr-tiny:{drydock_isolation.suffix}"
    image, _ = drydock_cloud.client.images.build(path=str(context), tag=tag, forcerm=True)
    try:
        yield image.id
    finally:
        drydock_cloud.client.images.remove(image.id, force=True)


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
    login = _run(
        f"aws ecr get-login-password --endpoint-url {settings.ecs_url} "
        f"| docker login --username AWS --password-stdin 127.0.0.1:{settings.registry_port}",
        cli_env,
        shell=True,
    )
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
    head = requests.head(f"{registry}/manifests/v1", headers={"Accept": MANIFEST_TYPES}, timeout=5)
    assert head.headers["Docker-Content-Digest"] == digest

    # the last one, by digest: gone from the registry too
    deleted = ecr.batch_delete_image(repositoryName=name, imageIds=[{"imageDigest": digest}])
    assert deleted["imageIds"] == [{"imageDigest": digest, "imageTag": "v1"}]
    assert ecr.list_images(repositoryName=name)["imageIds"] == []
    gone = requests.head(
        f"{registry}/manifests/{digest}", headers={"Accept": MANIFEST_TYPES}, timeout=5
    )
    assert gone.status_code == 404
    with pytest.raises(ClientError) as excinfo:
        ecr.describe_images(repositoryName=name, imageIds=[{"imageDigest": digest}])
    assert excinfo.value.response["Error"]["Code"] == "ImageNotFoundException"
