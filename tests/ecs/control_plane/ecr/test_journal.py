"""ECR repositories survive a restart through the journal; the registry's images are
the registry's own, so replaying never touches them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.ecs.api import ApiServer
from harness.ecs.control_plane import ControlPlane
from harness.ecs.control_plane.ecr import EcrState
from harness.ecs.control_plane.journal import Journal
from tests.ecs.api_clients import api_client
from tests.ecs.fake_registry import FakeRegistry, image_manifest


def _ecr(server: ApiServer) -> Any:
    return api_client("ecr", server)


def _journaled(path: Path, registry: FakeRegistry) -> ControlPlane:
    journal = Journal(path)
    plane = ControlPlane(ecr=EcrState(registry))
    journal.replay(plane)
    plane.recorder = journal.record
    return plane


def test_a_restart_keeps_repositories_and_their_settings(tmp_path: Path) -> None:
    path, registry = tmp_path / "journal.jsonl", FakeRegistry()
    with ApiServer(_journaled(path, registry)) as first:
        ecr = _ecr(first)
        kept = ecr.create_repository(
            repositoryName="kept",
            encryptionConfiguration={"encryptionType": "KMS", "kmsKey": "alias/k"},
        )["repository"]
        ecr.put_image_tag_mutability(repositoryName="kept", imageTagMutability="IMMUTABLE")
        ecr.create_repository(repositoryName="dropped")
        ecr.delete_repository(repositoryName="dropped")
        ecr.describe_repositories()  # reads are not journaled
        ecr.get_authorization_token()
    assert len(path.read_text().splitlines()) == 4
    with ApiServer(_journaled(path, registry)) as second:
        [again] = _ecr(second).describe_repositories()["repositories"]
    assert again["repositoryArn"] == kept["repositoryArn"]
    assert again["encryptionConfiguration"] == {"encryptionType": "KMS", "kmsKey": "alias/k"}
    assert again["imageTagMutability"] == "IMMUTABLE"


def test_replaying_a_forced_delete_leaves_images_pushed_since(tmp_path: Path) -> None:
    path, registry = tmp_path / "journal.jsonl", FakeRegistry()
    with ApiServer(_journaled(path, registry)) as first:
        ecr = _ecr(first)
        ecr.create_repository(repositoryName="app")
        registry.push("app", "v1", image_manifest("first"))
        ecr.delete_repository(repositoryName="app", force=True)
        assert registry.tags("app") == []
        ecr.create_repository(repositoryName="app")
        registry.push("app", "v2", image_manifest("second"))
    plane = _journaled(path, registry)
    assert [r.name for r in plane.ecr.repositories.all()] == ["app"]
    assert registry.tags("app") == ["v2"]
    assert not plane.ecr.replaying
