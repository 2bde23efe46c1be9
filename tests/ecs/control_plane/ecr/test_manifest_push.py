"""A pushed manifest admitted by ECR's rules before it reaches the registry."""

from __future__ import annotations

import pytest

from harness.ecs.control_plane import ControlPlane
from harness.ecs.control_plane.ecr import EcrState
from harness.ecs.control_plane.ecr.errors import ImageTagAlreadyExistsException, ServerException
from harness.ecs.control_plane.ecr.manifest_push import push_manifest
from harness.ecs.control_plane.ecr.operations import ECR_OPERATIONS
from harness.ecs.control_plane.ecr.registry_port import DOCKER_MANIFEST
from tests.ecs.fake_registry import FakeRegistry, image_manifest

FIRST, SECOND = image_manifest("first"), image_manifest("second")


@pytest.fixture
def registry() -> FakeRegistry:
    return FakeRegistry()


@pytest.fixture
def control_plane(registry: FakeRegistry) -> ControlPlane:
    return ControlPlane(ecr=EcrState(registry))


def create(cp: ControlPlane, name: str, mutability: str) -> None:
    cp.call(
        ECR_OPERATIONS["CreateRepository"],
        {"repositoryName": name, "imageTagMutability": mutability},
    )


def push(cp: ControlPlane, name: str, reference: str, body: bytes) -> int:
    return push_manifest(cp, name, reference, DOCKER_MANIFEST, body).status


def test_an_immutable_tag_is_not_moved_and_the_registry_never_hears_of_it(
    control_plane: ControlPlane, registry: FakeRegistry
) -> None:
    create(control_plane, "team/app", "IMMUTABLE")
    assert push(control_plane, "team/app", "v1", FIRST.body) == 201
    with pytest.raises(
        ImageTagAlreadyExistsException, match="'v1' already exists in the 'team/app'"
    ):
        push(control_plane, "team/app", "v1", SECOND.body)
    assert registry.tag_index["team/app"]["v1"] == FIRST.digest
    assert [r[2] for r in registry.relayed] == [FIRST.digest]


def test_the_same_digest_again_and_pushes_by_digest_go_through(
    control_plane: ControlPlane, registry: FakeRegistry
) -> None:
    create(control_plane, "app", "IMMUTABLE")
    assert push(control_plane, "app", "v1", FIRST.body) == 201
    assert push(control_plane, "app", "v1", FIRST.body) == 201
    assert push(control_plane, "app", SECOND.digest, SECOND.body) == 201
    assert push(control_plane, "app", "v2", SECOND.body) == 201
    assert registry.tag_index["app"] == {"v1": FIRST.digest, "v2": SECOND.digest}


def test_mutable_and_unknown_repositories_let_a_tag_move(
    control_plane: ControlPlane, registry: FakeRegistry
) -> None:
    create(control_plane, "mutable", "MUTABLE")
    for name in ("mutable", "never-created"):
        push(control_plane, name, "latest", FIRST.body)
        push(control_plane, name, "latest", SECOND.body)
        assert registry.tag_index[name]["latest"] == SECOND.digest


def test_put_image_tag_mutability_switches_the_rule_for_the_next_push(
    control_plane: ControlPlane, registry: FakeRegistry
) -> None:
    create(control_plane, "app", "MUTABLE")
    push(control_plane, "app", "v1", FIRST.body)
    control_plane.call(
        ECR_OPERATIONS["PutImageTagMutability"],
        {"repositoryName": "app", "imageTagMutability": "IMMUTABLE"},
    )
    with pytest.raises(ImageTagAlreadyExistsException):
        push(control_plane, "app", "v1", SECOND.body)
    control_plane.call(
        ECR_OPERATIONS["PutImageTagMutability"],
        {"repositoryName": "app", "imageTagMutability": "MUTABLE"},
    )
    push(control_plane, "app", "v1", SECOND.body)
    assert registry.tag_index["app"]["v1"] == SECOND.digest


def test_a_registry_that_cannot_say_what_a_tag_names_is_a_server_error(
    control_plane: ControlPlane, registry: FakeRegistry
) -> None:
    create(control_plane, "app", "IMMUTABLE")
    registry.available = False
    with pytest.raises(ServerException, match="not answering"):
        push(control_plane, "app", "v1", FIRST.body)
