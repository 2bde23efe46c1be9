"""Where Drydock's one boto3 client factory points, under the AWS CLI's conventions."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.aws import aws_client, region
from harness.settings import DrydockSettings

SETTINGS = DrydockSettings(localstack_port=4566, ecs_port=4570, region="eu-west-3")


@pytest.fixture(autouse=True)
def no_aws_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No user's ~/.aws leaks in; tests that want a profile write one here."""
    config = tmp_path / "config"
    config.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    for name in (
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_ECS",
        "AWS_ENDPOINT_URL_S3",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    return config


def test_defaults_point_each_service_at_the_local_cloud_with_dummy_credentials() -> None:
    s3 = aws_client("s3", SETTINGS)
    ecs = aws_client("ecs", SETTINGS)
    elbv2 = aws_client("elbv2", SETTINGS)

    assert s3.meta.endpoint_url == "http://127.0.0.1:4566"
    assert s3.meta.config.s3["addressing_style"] == "path"
    assert ecs.meta.endpoint_url == elbv2.meta.endpoint_url == "http://127.0.0.1:4570"
    assert ecs.meta.region_name == "eu-west-3"
    assert ecs._request_signer._credentials.access_key == "test"


def test_service_specific_variable_beats_the_general_one_and_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9000")
    monkeypatch.setenv("AWS_ENDPOINT_URL_ECS", "http://127.0.0.1:9001")

    assert aws_client("ecs", SETTINGS).meta.endpoint_url == "http://127.0.0.1:9001"
    assert aws_client("elbv2", SETTINGS).meta.endpoint_url == "http://127.0.0.1:9000"
    assert aws_client("s3", SETTINGS).meta.endpoint_url == "http://127.0.0.1:9000"


def test_explicit_endpoint_beats_the_environment_and_empty_means_aws(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_ECS", "http://127.0.0.1:9001")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")

    pointed = aws_client("ecs", SETTINGS, endpoint_url="http://127.0.0.1:9999")
    real = aws_client("ecs", SETTINGS, endpoint_url="")

    assert pointed.meta.endpoint_url == "http://127.0.0.1:9999"
    assert real.meta.endpoint_url == "https://ecs.eu-west-3.amazonaws.com"
    assert pointed._request_signer._credentials.access_key == "AKIAEXAMPLE"


def test_aws_target_uses_aws_endpoints() -> None:
    settings = SETTINGS.model_copy(update={"aws_target": "aws"})
    assert aws_client("ecs", settings).meta.endpoint_url == "https://ecs.eu-west-3.amazonaws.com"


def test_region_order_aws_region_then_default_region_then_profile_then_drydock(
    monkeypatch: pytest.MonkeyPatch, no_aws_files: Path
) -> None:
    no_aws_files.write_text(
        "[profile team]\nregion = ap-south-1\nendpoint_url = http://127.0.0.1:7000\n"
    )
    assert region(SETTINGS) == "eu-west-3"
    monkeypatch.setenv("AWS_PROFILE", "team")
    assert region(SETTINGS) == "ap-south-1"
    assert aws_client("ecs", SETTINGS).meta.endpoint_url == "http://127.0.0.1:7000"
    monkeypatch.setenv("AWS_DEFAULT_REGION", "sa-east-1")
    assert region(SETTINGS) == "sa-east-1"
    monkeypatch.setenv("AWS_REGION", "ca-central-1")
    assert region(SETTINGS) == "ca-central-1"
    assert aws_client("ecs", SETTINGS, region_name="us-west-2").meta.region_name == "us-west-2"
