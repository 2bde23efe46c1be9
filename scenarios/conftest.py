"""Fixtures for scenarios: the scenario kit's, under the names the scenarios use.

The kit (:mod:`harness.testing`, loaded as the ``drydock`` pytest plugin) brings the
local cloud up once per session and stops it only if this session started it; each
scenario gets its own names, and every container it starts is removed when it ends.
"""

from __future__ import annotations

import pytest

from harness.images.registry import PushedImage
from harness.testing.cloud import LocalCloud, testcontainers_defaults
from harness.testing.isolation import Isolation

testcontainers_defaults()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Scenarios that take the shared local cloud down run after all the others, which
    rely on the session's stack (its registry holds the serving image they deploy)."""
    items.sort(key=lambda item: item.get_closest_marker("takes_stack_down") is not None)


__all__ = ["Isolation", "LocalCloud"]


@pytest.fixture(scope="session")
def local_cloud(drydock_cloud: LocalCloud) -> LocalCloud:
    return drydock_cloud


@pytest.fixture(scope="session")
def serving_image(drydock_serving_image: PushedImage) -> PushedImage:
    return drydock_serving_image


@pytest.fixture
def isolation(drydock_isolation: Isolation) -> Isolation:
    return drydock_isolation
