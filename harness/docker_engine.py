"""One way to reach the Docker Engine, with an error that says how to get one."""

from __future__ import annotations

from functools import cache

import docker
from docker.errors import DockerException

from harness.errors import DockerUnavailableError


@cache
def docker_client() -> docker.DockerClient:
    """Return a client that has answered a ping; raise a clear error otherwise."""
    try:
        client = docker.from_env(timeout=300)
        client.ping()
    except DockerException as exc:
        raise DockerUnavailableError(
            f"Docker Engine is not reachable ({exc.__class__.__name__}: {exc}). "
            "Start Docker, or run `scripts/ensure-docker.sh` (installs and starts one "
            "where root + apt allow), then check that `docker info` works."
        ) from exc
    return client
