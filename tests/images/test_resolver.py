"""Upstream or stand-in, per image, against a fake engine: the order the resolver promises."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from docker.errors import APIError, ImageNotFound

from harness.images import resolver as resolver_module
from harness.images.catalog import HAPROXY, LOCALSTACK, PYTHON_BASE
from harness.images.resolver import ImageResolver
from harness.settings import DrydockSettings


class FakeImages:
    def __init__(self, present: set[str], pullable: set[str]) -> None:
        self.present = present
        self.pullable = pullable
        self.pulls: list[str] = []

    def get(self, ref: str) -> object:
        if ref not in self.present:
            raise ImageNotFound(ref)
        return object()

    def pull(self, repository: str, tag: str) -> None:
        ref = f"{repository}:{tag}"
        self.pulls.append(ref)
        if ref not in self.pullable:
            raise APIError("pull access denied")
        self.present.add(ref)


class FakeClient:
    def __init__(self, present: set[str] = frozenset(), pullable: set[str] = frozenset()):
        self.images = FakeImages(set(present), set(pullable))


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Stand-in builds recorded instead of run (and the image then 'exists')."""
    done: list[tuple[str, dict[str, Any]]] = []

    def build_image(client: FakeClient, **kwargs: Any) -> None:
        done.append(("dockerfile", kwargs))
        client.images.present.add(kwargs["ref"])

    def build_base_image(ref: str, mirror: str, scratch: Path) -> None:
        done.append(("debootstrap", {"ref": ref, "mirror": mirror}))

    monkeypatch.setattr(resolver_module, "build_image", build_image)
    monkeypatch.setattr(resolver_module, "build_base_image", build_base_image)
    monkeypatch.setattr(
        resolver_module, "ensure_wheelhouse", lambda *a, **k: Path("/nonexistent/wheelhouse")
    )
    return done


def settings(tmp_path: Path) -> DrydockSettings:
    return DrydockSettings(state_dir=tmp_path)


def test_upstream_already_present_is_used_without_pull_or_build(
    tmp_path: Path, builds: list[Any]
) -> None:
    client = FakeClient(present={LOCALSTACK.upstream or ""})
    resolved = ImageResolver(client, settings(tmp_path)).resolve(LOCALSTACK)  # type: ignore[arg-type]

    assert (resolved.ref, resolved.source, resolved.how) == (
        LOCALSTACK.upstream,
        "upstream",
        "present",
    )
    assert client.images.pulls == [] and builds == []
    assert resolved.notes == "", "notes describe stand-ins only"


def test_a_standin_built_for_this_content_beats_a_pull(tmp_path: Path, builds: list[Any]) -> None:
    base = "python:3.11-slim-bookworm"
    client = FakeClient(present={base})
    resolver = ImageResolver(client, settings(tmp_path))  # type: ignore[arg-type]
    client.images.present.add(resolver.standin_ref(LOCALSTACK))

    resolved = resolver.resolve(LOCALSTACK)

    assert (resolved.source, resolved.how) == ("stand-in", "present")
    assert client.images.pulls == [] and builds == []


def test_pull_when_possible(tmp_path: Path, builds: list[Any]) -> None:
    """Where pulls work at all, the base pulls too (it names the stand-in to look for)."""
    client = FakeClient(pullable={LOCALSTACK.upstream or "", PYTHON_BASE.upstream or ""})
    resolved = ImageResolver(client, settings(tmp_path)).resolve(LOCALSTACK)  # type: ignore[arg-type]

    assert (resolved.ref, resolved.source, resolved.how) == (
        LOCALSTACK.upstream,
        "upstream",
        "pulled",
    )
    assert builds == []


def test_failed_pull_builds_the_standin_on_the_base_and_says_why(
    tmp_path: Path, builds: list[tuple[str, dict[str, Any]]]
) -> None:
    client = FakeClient(present={PYTHON_BASE.upstream or ""})
    progress: list[str] = []
    resolver = ImageResolver(client, settings(tmp_path))  # type: ignore[arg-type]

    resolved = resolver.resolve(LOCALSTACK, progress.append)

    assert (resolved.source, resolved.how) == ("stand-in", "built")
    assert resolved.ref == resolver.standin_ref(LOCALSTACK)
    assert "localstack-core" in resolved.description
    ((kind, build),) = builds
    assert kind == "dockerfile"
    assert build["buildargs"] == {"BASE_IMAGE": PYTHON_BASE.upstream}
    assert build["wheelhouse"] == Path("/nonexistent/wheelhouse")
    assert any("cannot be pulled" in line for line in progress)


def test_drydock_own_images_never_pull_and_the_base_is_debootstrapped_once(
    tmp_path: Path, builds: list[tuple[str, dict[str, Any]]]
) -> None:
    client = FakeClient()
    resolver = ImageResolver(client, settings(tmp_path))  # type: ignore[arg-type]

    balancer = resolver.resolve(HAPROXY)
    again = resolver.resolve(HAPROXY)

    assert again is balancer, "one resolution per role and run"
    assert client.images.pulls == ["python:3.11-slim-bookworm"], "only the base is tried upstream"
    assert [kind for kind, _ in builds] == ["debootstrap", "dockerfile"]
    assert builds[1][1]["buildargs"] == {"BASE_IMAGE": builds[0][1]["ref"]}
