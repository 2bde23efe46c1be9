"""The manifest PUT the registry gate routes to the emulator, over real HTTP: ECR's
credentials required, tag immutability answered in distribution's error shape."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from harness.ecs.api import ApiServer
from harness.ecs.control_plane import ControlPlane
from harness.ecs.control_plane.ecr import EcrState, RegistryCredentials
from harness.ecs.control_plane.ecr.operations import ECR_OPERATIONS
from harness.ecs.control_plane.ecr.registry_port import DOCKER_MANIFEST
from tests.ecs.fake_registry import FakeRegistry, image_manifest

PASSWORD = "s3cret-password"
FIRST, SECOND = image_manifest("first"), image_manifest("second")


@pytest.fixture
def registry() -> FakeRegistry:
    return FakeRegistry()


@pytest.fixture
def server(registry: FakeRegistry) -> Iterator[ApiServer]:
    control_plane = ControlPlane(ecr=EcrState(registry, credentials=RegistryCredentials(PASSWORD)))
    control_plane.call(
        ECR_OPERATIONS["CreateRepository"],
        {"repositoryName": "team/app", "imageTagMutability": "IMMUTABLE"},
    )
    with ApiServer(control_plane) as srv:
        yield srv


def put(
    server: ApiServer, reference: str, body: bytes, auth: tuple[str, str] | None = ("AWS", PASSWORD)
) -> requests.Response:
    return requests.put(
        f"{server.endpoint_url}/v2/team/app/manifests/{reference}",
        data=body,
        headers={"Content-Type": DOCKER_MANIFEST},
        auth=auth,
        timeout=10,
    )


def test_a_push_is_relayed_with_the_registrys_answer(
    server: ApiServer, registry: FakeRegistry
) -> None:
    answer = put(server, "v1", FIRST.body)
    assert answer.status_code == 201
    assert answer.headers["Docker-Content-Digest"] == FIRST.digest
    assert answer.headers["Location"] == f"/v2/team/app/manifests/{FIRST.digest}"
    assert registry.relayed == [("team/app", "v1", FIRST.digest)]


@pytest.mark.parametrize(
    "auth", [None, ("AWS", "wrong"), ("someone", PASSWORD)], ids=["none", "password", "user"]
)
def test_without_ecrs_credentials_nothing_is_looked_at_or_relayed(
    server: ApiServer, registry: FakeRegistry, auth: tuple[str, str] | None
) -> None:
    registry.push("team/app", "v1", FIRST)
    answer = put(server, "v1", SECOND.body, auth=auth)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Basic realm=")
    error = answer.json()["errors"][0]
    assert error["code"] == "UNAUTHORIZED"
    assert "aws ecr get-login-password | docker login --username AWS" in error["message"]
    assert registry.relayed == [] and registry.accept_seen == []


def test_a_garbled_authorization_header_is_refused_not_a_crash(server: ApiServer) -> None:
    answer = requests.put(
        f"{server.endpoint_url}/v2/team/app/manifests/v1",
        data=FIRST.body,
        headers={"Authorization": "Basic %%%not-base64", "Content-Type": DOCKER_MANIFEST},
        timeout=10,
    )
    assert answer.status_code == 401


def test_an_immutable_tag_is_refused_in_distributions_shape_naming_tag_and_repository(
    server: ApiServer, registry: FakeRegistry
) -> None:
    assert put(server, "v1", FIRST.body).status_code == 201
    answer = put(server, "v1", SECOND.body)
    assert answer.status_code == 400
    assert answer.json() == {
        "errors": [
            {
                "code": "TAG_INVALID",
                "message": "The image tag 'v1' already exists in the 'team/app' repository "
                "and cannot be overwritten because the repository is immutable.",
            }
        ]
    }
    assert put(server, "v1", FIRST.body).status_code == 201  # the same digest again
    assert registry.tag_index["team/app"]["v1"] == FIRST.digest


def test_a_dead_registry_is_unavailable_not_a_refusal(
    server: ApiServer, registry: FakeRegistry
) -> None:
    registry.available = False
    answer = put(server, "v1", FIRST.body)
    assert answer.status_code == 503
    assert answer.json()["errors"][0]["code"] == "UNAVAILABLE"
    assert "not answering" in answer.json()["errors"][0]["message"]


def test_an_oversized_manifest_is_refused_before_anything_is_relayed(
    server: ApiServer, registry: FakeRegistry
) -> None:
    answer = put(server, "v1", b"{" + b" " * (4 * 1024 * 1024) + b"}")
    assert answer.status_code == 413
    assert answer.json()["errors"][0]["code"] == "MANIFEST_INVALID"
    assert registry.relayed == []
