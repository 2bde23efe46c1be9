"""Bringing the local cloud up and down, with compose and the engine faked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from docker.errors import NotFound

from harness.images.catalog import CLOUD_IMAGES, PYTHON_BASE
from harness.images.resolver import ResolvedImage
from harness.settings import DrydockSettings
from harness.stack import local_cloud
from harness.stack.local_cloud import CloudImages, bring_up, resolve_cloud_images, take_down

SETTINGS = DrydockSettings(project="drydock-test")


def resolved(role: str, ref: str) -> ResolvedImage:
    return ResolvedImage(role, ref, "stand-in", "present", 0.0)


def test_compose_gets_one_variable_per_cloud_image_and_none_for_the_base() -> None:
    cloud = [resolved(spec.role, f"{spec.role}:1") for spec in CLOUD_IMAGES]
    images = CloudImages((resolved(PYTHON_BASE.role, "base:1"), *cloud))
    environment = images.compose_environment()

    assert environment == {spec.compose_variable: f"{spec.role}:1" for spec in CLOUD_IMAGES}
    assert "base:1" not in environment.values()


def test_resolve_cloud_images_resolves_each_image_and_the_base() -> None:
    class Resolver:
        def __init__(self) -> None:
            self.asked: list[str] = []

        def resolve(self, spec: Any, on_progress: Any = None) -> ResolvedImage:
            self.asked.append(spec.role)
            return resolved(spec.role, spec.role + ":x")

        def resolve_base(self) -> ResolvedImage:
            return resolved(PYTHON_BASE.role, "base:x")

    resolver = Resolver()
    images = resolve_cloud_images(resolver)  # type: ignore[arg-type]

    assert resolver.asked == [spec.role for spec in CLOUD_IMAGES]
    assert images.resolved[0].ref == "base:x"


def test_bring_up_checks_ports_then_starts_compose_under_the_machine_wide_lock(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[Any] = []
    monkeypatch.setattr(local_cloud.tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.setattr(
        local_cloud, "ensure_ports_free", lambda client, project, host, ports: calls.append(ports)
    )

    class Project:
        def __init__(self, settings: DrydockSettings, images: dict[str, str]) -> None:
            calls.append(("project", images))

        def up(self) -> None:
            lock = tmp_path / "drydock-drydock-test-stack.lock"
            assert lock.exists(), "compose runs while the lock file is held"
            calls.append("up")

    monkeypatch.setattr(local_cloud, "ComposeProject", Project)
    images = CloudImages((resolved(CLOUD_IMAGES[0].role, "ls:1"),))

    bring_up(object(), SETTINGS, images)  # type: ignore[arg-type]

    ports, project, up = calls
    assert set(ports) == {
        "DRYDOCK_LOCALSTACK_PORT",
        "DRYDOCK_REGISTRY_PORT",
        "DRYDOCK_LB_PORT",
        "DRYDOCK_LB_TEST_PORT",
        "DRYDOCK_ECS_PORT",
        "DRYDOCK_GIT_PORT",
    }
    assert project == ("project", {CLOUD_IMAGES[0].compose_variable: "ls:1"})
    assert up == "up"


def test_take_down_stops_compose_before_removing_tasks_and_the_journal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    order: list[str] = []

    class Project:
        def __init__(self, settings: DrydockSettings, images: dict[str, str]) -> None:
            pass

        def down(self, volumes: bool = False) -> None:
            order.append(f"compose down volumes={volumes}")

    class Volume:
        def remove(self, force: bool) -> None:
            order.append("journal volume removed")

    class Volumes:
        def get(self, name: str) -> Volume:
            assert name == "drydock-test_emulator-state"
            return Volume()

    class Container:
        id = "c1"

    class Client:
        volumes = Volumes()

    monkeypatch.setattr(local_cloud, "ComposeProject", Project)
    monkeypatch.setattr(
        local_cloud,
        "containers_labelled",
        lambda client, project: [Container()] if project == "drydock-test" else [],
    )
    monkeypatch.setattr(
        local_cloud,
        "remove_container",
        lambda client, cid, timeout_s: order.append(f"task {cid} removed"),
    )

    take_down(Client(), SETTINGS)  # type: ignore[arg-type]

    assert order == ["compose down volumes=False", "task c1 removed", "journal volume removed"]


def test_take_down_without_a_journal_volume_is_fine(monkeypatch: pytest.MonkeyPatch) -> None:
    class Volumes:
        def get(self, name: str) -> None:
            raise NotFound("no such volume")

    class Client:
        volumes = Volumes()

    monkeypatch.setattr(
        local_cloud,
        "ComposeProject",
        lambda settings, images: type("P", (), {"down": lambda self, volumes=False: None})(),
    )
    monkeypatch.setattr(local_cloud, "containers_labelled", lambda client, project: [])

    take_down(Client(), SETTINGS, volumes=True)  # type: ignore[arg-type]
