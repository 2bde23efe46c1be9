"""The ECR API through real boto3 ``ecr`` clients against a live local server, with the
registry behind it faked in memory (the real registry is the ECR scenario's)."""

from __future__ import annotations

import base64
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from harness.ecs.api import ApiServer
from harness.ecs.control_plane import ControlPlane
from harness.ecs.control_plane.ecr import EcrState
from tests.ecs.api_clients import api_client, post_target
from tests.ecs.fake_registry import FakeRegistry, image_manifest

ADDRESS = "127.0.0.1:5050"
ECR_TARGET = "AmazonEC2ContainerRegistry_V20150921"


@pytest.fixture
def registry() -> FakeRegistry:
    return FakeRegistry()


@pytest.fixture
def control_plane(registry: FakeRegistry) -> ControlPlane:
    return ControlPlane(ecr=EcrState(registry, ADDRESS))


@pytest.fixture
def server(control_plane: ControlPlane) -> Iterator[ApiServer]:
    with ApiServer(control_plane) as srv:
        yield srv


@pytest.fixture
def ecr(server: ApiServer) -> Any:
    return api_client("ecr", server)


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


# --- repositories ---------------------------------------------------------------------


def test_create_repository_echoes_its_settings_and_names_the_push_address(ecr: Any) -> None:
    created = ecr.create_repository(
        repositoryName="team/model-server",
        imageTagMutability="IMMUTABLE",
        imageScanningConfiguration={"scanOnPush": True},
        encryptionConfiguration={"encryptionType": "KMS", "kmsKey": "alias/drydock"},
        tags=[{"Key": "team", "Value": "ml"}],
    )["repository"]
    assert created["repositoryArn"] == (
        "arn:aws:ecr:us-east-1:000000000000:repository/team/model-server"
    )
    assert created["repositoryUri"] == f"{ADDRESS}/team/model-server"
    assert created["registryId"] == "000000000000"
    assert created["imageTagMutability"] == "IMMUTABLE"
    assert created["imageScanningConfiguration"] == {"scanOnPush": True}
    assert created["encryptionConfiguration"] == {
        "encryptionType": "KMS",
        "kmsKey": "alias/drydock",
    }
    assert abs(created["createdAt"] - datetime.now(UTC)) < timedelta(seconds=5)
    described = ecr.describe_repositories(repositoryNames=["team/model-server"])["repositories"]
    assert described == [created]


def test_repository_defaults_are_ecrs(ecr: Any) -> None:
    created = ecr.create_repository(repositoryName="plain")["repository"]
    assert created["imageTagMutability"] == "MUTABLE"
    assert created["imageScanningConfiguration"] == {"scanOnPush": False}
    assert created["encryptionConfiguration"] == {"encryptionType": "AES256"}


def test_a_second_repository_of_the_same_name_is_refused(ecr: Any) -> None:
    ecr.create_repository(repositoryName="twice")
    with pytest.raises(ClientError) as excinfo:
        ecr.create_repository(repositoryName="twice")
    assert error_of(excinfo) == (
        "RepositoryAlreadyExistsException",
        "The repository with name 'twice' already exists in the registry with id '000000000000'",
    )


def test_names_outside_ecrs_pattern_are_refused_naming_the_member(ecr: Any) -> None:
    for bad in ("Upper/Case", "trailing-", "a//b"):
        with pytest.raises(ClientError) as excinfo:
            ecr.create_repository(repositoryName=bad)
        code, message = error_of(excinfo)
        assert code == "InvalidParameterException"
        assert "'repositoryName' failed to satisfy constraint" in message
    assert ecr.describe_repositories()["repositories"] == []


def test_server_side_validation_checks_enums_and_required_members(server: ApiServer) -> None:
    unchecked = api_client("ecr", server, Config(parameter_validation=False))
    with pytest.raises(ClientError) as excinfo:
        unchecked.create_repository(repositoryName="repo", imageTagMutability="SOMETIMES")
    code, message = error_of(excinfo)
    assert code == "InvalidParameterException" and "SOMETIMES" in message
    with pytest.raises(ClientError) as excinfo:
        unchecked.delete_repository()
    code, message = error_of(excinfo)
    assert code == "InvalidParameterException" and "repositoryName" in message
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_exclusion_filters_go_with_the_with_exclusion_settings_only(ecr: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        ecr.create_repository(repositoryName="repo", imageTagMutability="IMMUTABLE_WITH_EXCLUSION")
    assert (
        "can't be null when imageTagMutability is set as IMMUTABLE_WITH_EXCLUSION"
        in (error_of(excinfo)[1])
    )
    filters = [{"filterType": "WILDCARD", "filter": "latest"}]
    created = ecr.create_repository(
        repositoryName="repo",
        imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters=filters,
    )["repository"]
    assert created["imageTagMutabilityExclusionFilters"] == filters


def test_unknown_repositories_are_repository_not_found(ecr: Any) -> None:
    ecr.create_repository(repositoryName="known")
    for call in (
        lambda: ecr.describe_repositories(repositoryNames=["known", "ghost"]),
        lambda: ecr.delete_repository(repositoryName="ghost"),
        lambda: ecr.list_images(repositoryName="ghost"),
        lambda: ecr.describe_images(repositoryName="ghost"),
        lambda: ecr.put_image_tag_mutability(repositoryName="ghost", imageTagMutability="MUTABLE"),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == (
            "RepositoryNotFoundException",
            "The repository with name 'ghost' does not exist in the registry with id "
            "'000000000000'",
        )
    with pytest.raises(ClientError) as excinfo:
        ecr.describe_repositories(registryId="111111111111", repositoryNames=["known"])
    assert "'111111111111'" in error_of(excinfo)[1]
    assert ecr.describe_repositories(registryId="111111111111")["repositories"] == []


def test_repository_listing_paginates(ecr: Any) -> None:
    names = [f"repo-{i}" for i in range(5)]
    for name in names:
        ecr.create_repository(repositoryName=name)
    pages = ecr.get_paginator("describe_repositories").paginate(PaginationConfig={"PageSize": 2})
    assert [r["repositoryName"] for p in pages for r in p["repositories"]] == names


def test_delete_refuses_a_repository_with_images_unless_forced(
    ecr: Any, registry: FakeRegistry
) -> None:
    ecr.create_repository(repositoryName="busy")
    pushed = registry.push("busy", "v1", image_manifest("a"))
    with pytest.raises(ClientError) as excinfo:
        ecr.delete_repository(repositoryName="busy")
    assert error_of(excinfo) == (
        "RepositoryNotEmptyException",
        "The repository with name 'busy' in registry with id '000000000000' cannot be "
        "deleted because it still contains images",
    )
    assert registry.tags("busy") == ["v1"]
    deleted = ecr.delete_repository(repositoryName="busy", force=True)["repository"]
    assert deleted["repositoryName"] == "busy"
    assert registry.tags("busy") == [] and registry.manifest("busy", pushed.digest) is None
    assert ecr.describe_repositories()["repositories"] == []


def test_put_image_tag_mutability_changes_and_echoes(ecr: Any) -> None:
    ecr.create_repository(repositoryName="repo")
    out = ecr.put_image_tag_mutability(repositoryName="repo", imageTagMutability="IMMUTABLE")
    assert {k: out[k] for k in ("registryId", "repositoryName", "imageTagMutability")} == {
        "registryId": "000000000000",
        "repositoryName": "repo",
        "imageTagMutability": "IMMUTABLE",
    }
    described = ecr.describe_repositories(repositoryNames=["repo"])["repositories"][0]
    assert described["imageTagMutability"] == "IMMUTABLE"


# --- authorization --------------------------------------------------------------------


def test_authorization_token_is_aws_and_the_kept_password(
    ecr: Any, control_plane: ControlPlane
) -> None:
    first = ecr.get_authorization_token()["authorizationData"]
    assert len(first) == 1
    user, password = base64.b64decode(first[0]["authorizationToken"]).decode().split(":", 1)
    assert (user, password) == ("AWS", control_plane.ecr.credentials.password)
    assert len(password) >= 32
    assert first[0]["proxyEndpoint"] == f"http://{ADDRESS}"
    expected = datetime.now(UTC) + timedelta(hours=12)
    assert abs(first[0]["expiresAt"] - expected) < timedelta(seconds=5)
    again = ecr.get_authorization_token()["authorizationData"][0]
    assert again["authorizationToken"] == first[0]["authorizationToken"]
    with pytest.raises(ClientError) as excinfo:
        ecr.get_authorization_token(registryIds=["111111111111"])
    code, message = error_of(excinfo)
    assert code == "InvalidParameterException" and "111111111111" in message


def test_each_emulator_has_its_own_password() -> None:
    assert EcrState().credentials.password != EcrState().credentials.password


def test_aws_cli_get_login_password_prints_the_password(
    server: ApiServer, control_plane: ControlPlane, tmp_path: Path
) -> None:
    env = {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "HOME": str(tmp_path),
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("aws")),
            "ecr",
            "get-login-password",
            "--endpoint-url",
            server.endpoint_url,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == control_plane.ecr.credentials.password


# --- images ---------------------------------------------------------------------------


@pytest.fixture
def pushed(ecr: Any, registry: FakeRegistry) -> dict[str, Any]:
    """``app``: v1 and latest on one image, v0 on an older one."""
    ecr.create_repository(repositoryName="app")
    new = registry.push("app", "v1", image_manifest("new", (1000, 234), 50))
    registry.push("app", "latest", new)
    old = registry.push("app", "v0", image_manifest("old", (10,), 5))
    return {"new": new, "old": old}


def test_list_images_names_every_tag_with_its_digest(ecr: Any, pushed: dict[str, Any]) -> None:
    ids = ecr.list_images(repositoryName="app")["imageIds"]
    new, old = pushed["new"].digest, pushed["old"].digest
    assert sorted(ids, key=lambda i: i["imageTag"]) == [
        {"imageDigest": new, "imageTag": "latest"},
        {"imageDigest": old, "imageTag": "v0"},
        {"imageDigest": new, "imageTag": "v1"},
    ]
    assert ecr.list_images(repositoryName="app", filter={"tagStatus": "UNTAGGED"})["imageIds"] == []
    pages = ecr.get_paginator("list_images").paginate(
        repositoryName="app", PaginationConfig={"PageSize": 2}
    )
    assert sorted(i["imageTag"] for p in pages for i in p["imageIds"]) == ["latest", "v0", "v1"]


def test_describe_images_groups_tags_by_digest_with_size_and_media_type(
    ecr: Any, pushed: dict[str, Any]
) -> None:
    details = {
        d["imageDigest"]: d for d in ecr.describe_images(repositoryName="app")["imageDetails"]
    }
    new = details[pushed["new"].digest]
    assert sorted(new["imageTags"]) == ["latest", "v1"]
    assert new["imageSizeInBytes"] == 1000 + 234 + 50
    assert new["imageManifestMediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    assert new["artifactMediaType"] == "application/vnd.docker.container.image.v1+json"
    assert new["repositoryName"] == "app" and new["registryId"] == "000000000000"
    assert abs(new["imagePushedAt"] - datetime.now(UTC)) < timedelta(seconds=5)
    assert details[pushed["old"].digest]["imageTags"] == ["v0"]
    assert details[pushed["old"].digest]["imageSizeInBytes"] == 15
    later = ecr.describe_images(repositoryName="app")["imageDetails"]
    assert {d["imagePushedAt"] for d in later} == {d["imagePushedAt"] for d in details.values()}


def test_describe_images_by_id_and_image_not_found(ecr: Any, pushed: dict[str, Any]) -> None:
    by_tag = ecr.describe_images(repositoryName="app", imageIds=[{"imageTag": "latest"}])
    assert [d["imageDigest"] for d in by_tag["imageDetails"]] == [pushed["new"].digest]
    assert sorted(by_tag["imageDetails"][0]["imageTags"]) == ["latest", "v1"]
    by_digest = ecr.describe_images(
        repositoryName="app", imageIds=[{"imageDigest": pushed["old"].digest}]
    )
    assert by_digest["imageDetails"][0]["imageTags"] == ["v0"]
    with pytest.raises(ClientError) as excinfo:
        ecr.describe_images(repositoryName="app", imageIds=[{"imageTag": "v9"}])
    assert error_of(excinfo) == (
        "ImageNotFoundException",
        "The image with imageId {imageDigest:'null', imageTag:'v9'} does not exist within "
        "the repository with name 'app' in the registry with id '000000000000'",
    )


def test_batch_get_image_returns_the_manifest_bytes_and_failures(
    ecr: Any, pushed: dict[str, Any], registry: FakeRegistry
) -> None:
    out = ecr.batch_get_image(
        repositoryName="app",
        imageIds=[{"imageTag": "v1"}, {"imageTag": "nope"}, {"imageDigest": "not-a-digest"}],
        acceptedMediaTypes=["application/vnd.oci.image.manifest.v1+json"],
    )
    [image] = out["images"]
    assert image["imageId"] == {"imageTag": "v1", "imageDigest": pushed["new"].digest}
    assert image["imageManifest"] == pushed["new"].body.decode()
    assert image["imageManifestMediaType"] == pushed["new"].media_type
    assert ("application/vnd.oci.image.manifest.v1+json",) in registry.accept_seen
    assert [(f["imageId"], f["failureCode"], f["failureReason"]) for f in out["failures"]] == [
        ({"imageTag": "nope"}, "ImageNotFound", "Requested image not found"),
        (
            {"imageDigest": "not-a-digest"},
            "InvalidImageDigest",
            "Invalid request parameters: image digest should satisfy the regex "
            "'[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'",
        ),
    ]


def test_batch_delete_by_tag_removes_only_that_tag(
    ecr: Any, pushed: dict[str, Any], registry: FakeRegistry
) -> None:
    new = pushed["new"].digest
    out = ecr.batch_delete_image(repositoryName="app", imageIds=[{"imageTag": "latest"}])
    assert out["imageIds"] == [{"imageDigest": new, "imageTag": "latest"}]
    assert out["failures"] == []
    assert registry.tags("app") == ["v0", "v1"]
    assert registry.manifest("app", "v1") == pushed["new"]  # same bytes, same digest


def test_batch_delete_by_digest_removes_the_image_and_all_its_tags(
    ecr: Any, pushed: dict[str, Any], registry: FakeRegistry
) -> None:
    new = pushed["new"].digest
    out = ecr.batch_delete_image(
        repositoryName="app", imageIds=[{"imageDigest": new}, {"imageTag": "ghost"}, {}]
    )
    assert sorted(out["imageIds"], key=lambda i: i["imageTag"]) == [
        {"imageDigest": new, "imageTag": "latest"},
        {"imageDigest": new, "imageTag": "v1"},
    ]
    assert [f["failureCode"] for f in out["failures"]] == ["ImageNotFound", "MissingDigestAndTag"]
    assert registry.tags("app") == ["v0"]
    assert ecr.list_images(repositoryName="app")["imageIds"] == [
        {"imageDigest": pushed["old"].digest, "imageTag": "v0"}
    ]


def test_a_tag_and_digest_that_disagree_delete_nothing(
    ecr: Any, pushed: dict[str, Any], registry: FakeRegistry
) -> None:
    out = ecr.batch_delete_image(
        repositoryName="app", imageIds=[{"imageTag": "v0", "imageDigest": pushed["new"].digest}]
    )
    assert out["imageIds"] == [] and out["failures"][0]["failureCode"] == "ImageNotFound"
    assert registry.tags("app") == ["latest", "v0", "v1"]


def test_a_dead_registry_is_a_server_exception_naming_it(
    server: ApiServer, pushed: dict[str, Any], registry: FakeRegistry
) -> None:
    once = api_client("ecr", server, Config(retries={"max_attempts": 1, "mode": "standard"}))
    registry.available = False
    with pytest.raises(ClientError) as excinfo:
        once.list_images(repositoryName="app")
    code, message = error_of(excinfo)
    assert code == "ServerException" and "http://fake:5000" in message
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    with pytest.raises(ClientError):
        once.delete_repository(repositoryName="app", force=True)
    registry.available = True
    assert once.describe_repositories(repositoryNames=["app"])["repositories"]  # kept


def test_without_a_registry_repositories_work_and_images_say_why_not() -> None:
    with ApiServer(ControlPlane()) as srv:
        ecr = api_client("ecr", srv, Config(retries={"max_attempts": 1, "mode": "standard"}))
        ecr.create_repository(repositoryName="repo")
        with pytest.raises(ClientError) as excinfo:
            ecr.list_images(repositoryName="repo")
        code, message = error_of(excinfo)
        assert code == "ServerException" and "No registry is attached" in message


# --- protocol -------------------------------------------------------------------------


def test_ecr_targets_are_routed_to_ecr_and_unknown_ones_named(server: ApiServer) -> None:
    status, body = post_target(server, f"{ECR_TARGET}.DescribeRepositories", b"{}")
    assert (status, body) == (200, {"repositories": []})
    status, body = post_target(server, f"{ECR_TARGET}.LaunchRockets", b"{}")
    assert (status, body["__type"]) == (400, "UnknownOperationException")
    assert "not an ECR operation" in body["message"]
    status, body = post_target(server, f"{ECR_TARGET}.PutImage", b"{}")
    assert (status, body["__type"]) == (400, "UnsupportedFeatureException")
    assert "ECR operation PutImage is not emulated" in body["message"]
    status, body = post_target(server, "SomeOtherService_2020.DoIt", b"{}")
    assert status == 404 and "ECR" in body["message"]


def test_deleting_each_tag_of_an_image_in_one_call_deletes_the_image(
    ecr: Any, pushed: dict[str, Any], registry: FakeRegistry
) -> None:
    new = pushed["new"].digest
    out = ecr.batch_delete_image(
        repositoryName="app", imageIds=[{"imageTag": "v1"}, {"imageTag": "latest"}]
    )
    assert out["imageIds"] == [
        {"imageDigest": new, "imageTag": "v1"},
        {"imageDigest": new, "imageTag": "latest"},
    ]
    assert registry.tags("app") == ["v0"] and registry.manifest("app", new) is None
