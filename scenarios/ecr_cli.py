"""What the ECR scenarios share: the AWS and docker CLIs with configs of their own, and
tiny images to push (built FROM the stack's base image, so nothing is pulled)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from harness.aws import aws_client
from harness.testing import LocalCloud


def run_cli(
    command: list[str] | str, env: dict[str, str], *, ok: bool = True, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    """Run a CLI; with ``ok`` it must succeed, else it must fail (its output is the news)."""
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, **kwargs)
    assert (done.returncode == 0) is ok, (
        f"{command} -> {done.returncode}: {done.stdout}\n{done.stderr}"
    )
    return done


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


def login_command(cloud: LocalCloud) -> str:
    """The CI job's login, as written in a pipeline."""
    settings = cloud.settings
    return (
        f"aws ecr get-login-password --endpoint-url {settings.ecs_url} "
        f"| docker login --username AWS --password-stdin {settings.registry_address}"
    )


def build_tiny_image(cloud: LocalCloud, folder: Path, content: str, tag: str) -> str:
    """A one-file image on the stack's base image; its id (remove it after)."""
    folder.mkdir(parents=True)
    (folder / "scenario.txt").write_text(content)
    base = cloud.resolver.base_ref()
    (folder / "Dockerfile").write_text(f"FROM {base}\nCOPY scenario.txt /scenario.txt\n")
    image, _ = cloud.client.images.build(path=str(folder), tag=tag, forcerm=True)
    return str(image.id)


@contextmanager
def ecr_repository(cloud: LocalCloud, name: str, **settings: Any) -> Iterator[dict[str, Any]]:
    """A repository on the compose emulator's ECR, force-deleted (images too) after."""
    ecr = aws_client("ecr", cloud.settings)
    created = ecr.create_repository(repositoryName=name, **settings)["repository"]
    try:
        yield created
    finally:
        try:
            ecr.delete_repository(repositoryName=name, force=True)
        except ClientError as error:
            if error.response["Error"]["Code"] != "RepositoryNotFoundException":
                raise
