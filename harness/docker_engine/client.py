"""One way to reach the Docker Engine, with an error that says how to get one."""

from __future__ import annotations

from functools import cache

import docker
from docker.errors import DockerException

from harness.errors import DockerUnavailableError

#: Long enough for a build step or a stop with a 120 s stopTimeout on a busy machine.
TIMEOUT_S = 300


@cache
def docker_client() -> docker.DockerClient:
    """The process's shared client, once it has answered a ping; a clear error otherwise."""
    return new_docker_client()


def new_docker_client() -> docker.DockerClient:
    """A client of its own, for a thread that blocks on the engine (waits, log streams):
    one connection pool per blocking caller keeps the others moving."""
    try:
        client = docker.from_env(timeout=TIMEOUT_S)
        client.ping()
    except DockerException as exc:
        raise DockerUnavailableError(
            f"Docker Engine is not reachable ({exc.__class__.__name__}: {exc}). "
            "Start Docker, or run `scripts/ensure-docker.sh` (installs and starts one "
            "where root + apt allow), then check that `docker info` works."
        ) from exc
    return client
