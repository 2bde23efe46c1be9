"""Drydock's pytest plugin: fixtures for rehearsing ECS deployments on one machine.

Registered as the ``pytest11`` entry point ``drydock``, so installing Drydock makes the
fixtures available to any test suite (see :mod:`harness.testing` for an example). Heavy
imports (docker, boto3) happen inside the fixtures, so a suite that uses none of them
pays nothing. Every fixture tears down what it made, pass or fail.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from harness.ecs.emulator.emulator import Emulator
    from harness.images.registry import PushedImage
    from harness.testing.cloud import LocalCloud
    from harness.testing.isolation import Isolation

#: The one time-scale setting, the same the stack's emulator reads.
TIME_SCALE_ENV = "DRYDOCK_TIME_SCALE"
#: Where it is unset, scenarios run 20 times faster than AWS (the stack keeps AWS's pace).
DEFAULT_TIME_SCALE = 0.05


#: The kit's scenarios need a Docker engine; ``-m "not docker"`` leaves them out.
DOCKER_MARKER = "docker: needs a Docker engine and the local cloud (Drydock's scenario kit)"


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``docker`` marker, so a project using the kit needs no configuration
    of its own, even under ``--strict-markers``."""
    config.addinivalue_line("markers", DOCKER_MARKER)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("drydock").addoption(
        "--drydock-time-scale",
        type=float,
        default=None,
        help=f"Emulator time scale for drydock_emulator (env {TIME_SCALE_ENV}, "
        f"default {DEFAULT_TIME_SCALE}: AWS's 30 s become 1.5 s).",
    )


@pytest.fixture(scope="session")
def drydock_time_scale(request: pytest.FixtureRequest) -> float:
    """The option, else ``DRYDOCK_TIME_SCALE``, else 0.05."""
    option = request.config.getoption("--drydock-time-scale")
    scale = float(
        option if option is not None else os.environ.get(TIME_SCALE_ENV, DEFAULT_TIME_SCALE)
    )
    if not 0 < scale <= 1:
        raise pytest.UsageError(f"drydock time scale must be in (0, 1], got {scale}")
    return scale


@pytest.fixture(scope="session")
def drydock_cloud() -> Iterator[LocalCloud]:
    """LocalStack S3 and the registry up for the session (stopped only if started here)."""
    from harness.testing.cloud import local_cloud, testcontainers_defaults

    testcontainers_defaults()
    with local_cloud() as cloud:
        yield cloud


@pytest.fixture(scope="session")
def drydock_serving_image(drydock_cloud: LocalCloud) -> PushedImage:
    """Drydock's serving image in the local registry; use its ``by_digest`` in tasks."""
    from harness.testing.cloud import serving_image

    return serving_image(drydock_cloud)


@pytest.fixture
def drydock_isolation(drydock_cloud: LocalCloud) -> Iterator[Isolation]:
    """Unique names for one test; containers named through it, and its model's objects
    in the shared bucket, are removed after it."""
    from harness.docker_engine.containers import remove_container
    from harness.errors import DrydockError
    from harness.testing.isolation import Isolation

    scope = Isolation()
    yield scope
    for name in scope.containers:
        remove_container(drydock_cloud.client, name, timeout_s=5)
    try:
        drydock_cloud.store.purge(scope.model_name)
    except DrydockError as exc:  # S3 down after a dependency-failure scenario: say so, go on
        warnings.warn(f"models of {scope.model_name} left in S3: {exc}", stacklevel=1)


@pytest.fixture
def drydock_emulator_owner(drydock_cloud: LocalCloud) -> Iterator[str]:
    """An owner identity for emulators a test starts and restarts itself (a restarted
    emulator adopts what the same owner left); everything carrying it is removed after
    the test, even when it failed between two emulators."""
    import uuid

    from harness.docker_engine.containers import containers_labelled, remove_container
    from harness.ecs.runtime.task_containers import OWNER_LABEL

    owner = f"kit-owner-{uuid.uuid4().hex[:8]}"
    yield owner
    for container in containers_labelled(drydock_cloud.client, **{OWNER_LABEL: owner}):
        remove_container(drydock_cloud.client, container.id, timeout_s=1)


@pytest.fixture
def drydock_emulator(drydock_cloud: LocalCloud, drydock_time_scale: float) -> Iterator[Emulator]:
    """An in-process emulator (API, driver loop, docker tasks, HAProxy) for one test;
    stopping it removes every task container and the HAProxy container. Its ECR hands
    out the local cloud's registry password, and its tasks pull with it."""
    from harness.ecs.control_plane.ecr import RegistryCredentials
    from harness.ecs.emulator.emulator import Emulator
    from harness.images.ecr_login import ecr_login

    settings = drydock_cloud.settings.model_copy(update={"time_scale": drydock_time_scale})
    credentials = RegistryCredentials(ecr_login(drydock_cloud.settings).password)
    with Emulator(settings, credentials=credentials) as emulator:  # removes what it started
        yield emulator
