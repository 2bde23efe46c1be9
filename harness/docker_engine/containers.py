"""Start, watch and stop one task's container, the way ECS bridge mode would.

The container port is published on 127.0.0.1 with a dynamic host port, the
container joins the local cloud's network (to reach LocalStack by name), and
labels tie it to its cluster, service and task so a restarted emulator, or a
test's clean-up, can find it again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import docker
import requests
from docker.errors import APIError, ImageNotFound, NotFound

from harness.errors import RegistryError, ServingError

LABEL_PREFIX = "drydock."


@dataclass(frozen=True)
class TaskContainerSpec:
    name: str
    image: str
    container_port: int
    network: str
    environment: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    host_ip: str = "127.0.0.1"
    stop_timeout_s: int = 30
    memory_mib: int | None = None
    cpus: float | None = None
    #: ECS ``entryPoint`` / ``command``: None keeps the image's own.
    entrypoint: list[str] | None = None
    command: list[str] | None = None


@dataclass(frozen=True)
class StartedContainer:
    id: str
    name: str
    host_ip: str
    host_port: int
    network_ip: str

    @property
    def url(self) -> str:
        return f"http://{self.host_ip}:{self.host_port}"


def pull_image(
    client: docker.DockerClient, image: str, auth_config: dict[str, str] | None = None
) -> None:
    """Pull from the registry (by digest or tag); the registry must be up.

    ``auth_config``: the registry's credentials (see ``registry_login``); None pulls
    with whatever the client was given before, anonymously if nothing."""
    try:
        client.images.pull(image, auth_config=auth_config)
    except ImageNotFound as exc:
        raise RegistryError(f"the registry has no image {image}") from exc
    except APIError as exc:
        raise RegistryError(f"cannot pull {image}: {exc.explanation or exc}") from exc


def start_container(client: docker.DockerClient, spec: TaskContainerSpec) -> StartedContainer:
    labels = {f"{LABEL_PREFIX}{key}": value for key, value in spec.labels.items()}
    kwargs: dict[str, Any] = {}
    if spec.memory_mib:
        kwargs["mem_limit"] = f"{spec.memory_mib}m"
    if spec.cpus:
        kwargs["nano_cpus"] = int(spec.cpus * 1e9)
    if spec.entrypoint is not None:
        kwargs["entrypoint"] = spec.entrypoint
    if spec.command is not None:
        kwargs["command"] = spec.command
    container = client.containers.run(
        spec.image,
        name=spec.name,
        detach=True,
        environment=spec.environment,
        labels=labels,
        network=spec.network,
        ports={f"{spec.container_port}/tcp": (spec.host_ip, None)},
        stop_signal="SIGTERM",
        **kwargs,
    )
    container.reload()
    return started_container(container, spec.container_port, spec.network, spec.host_ip)


def started_container(
    container: Any, container_port: int, network: str, host_ip: str = "127.0.0.1"
) -> StartedContainer:
    """Where a running (or just started) container answers, read from docker's view of it.

    A container that already exited (a crash at start) has no port binding and no
    address any more; it is still a started container, and its exit code is the news.
    """
    bindings = container.ports.get(f"{container_port}/tcp") or [{"HostPort": "0"}]
    address = container.attrs["NetworkSettings"]["Networks"].get(network) or {}
    return StartedContainer(
        container.id,
        container.name,
        host_ip,
        int(bindings[0]["HostPort"]),
        address.get("IPAddress", ""),
    )


def wait_until_ready(
    client: docker.DockerClient,
    started: StartedContainer,
    path: str = "/v2/health/ready",
    timeout_s: float = 60.0,
) -> float:
    """Poll the readiness endpoint; fail fast, with the container's last words, if it exits."""
    began = time.monotonic()
    while time.monotonic() - began < timeout_s:
        container = client.containers.get(started.id)
        if container.status in ("exited", "dead"):
            code = container.attrs["State"]["ExitCode"]
            raise ServingError(
                f"container {started.name} exited with code {code} before it was ready: "
                f"{last_log_line(client, started.id)}"
            )
        try:
            if requests.get(started.url + path, timeout=1).status_code == 200:
                return time.monotonic() - began
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise ServingError(
        f"container {started.name} was not ready within {timeout_s:.0f}s: "
        f"{last_log_line(client, started.id)}"
    )


def last_log_line(client: docker.DockerClient, container_id: str) -> str:
    try:
        logs = client.containers.get(container_id).logs(tail=20).decode(errors="replace")
    except NotFound:
        return "(container is gone)"
    lines = [line for line in logs.splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def remove_container(client: docker.DockerClient, container_id: str, timeout_s: int = 30) -> None:
    """SIGTERM, SIGKILL after ``timeout_s``, then remove; a missing container is fine."""
    try:
        container = client.containers.get(container_id)
        container.stop(timeout=timeout_s)
        container.remove(force=True)
    except NotFound:
        return


def containers_labelled(client: docker.DockerClient, **labels: str) -> list[Any]:
    filters = [f"{LABEL_PREFIX}{key}={value}" for key, value in labels.items()]
    # ignore_removed: another session may remove a container between docker's list and inspect
    return list(client.containers.list(all=True, filters={"label": filters}, ignore_removed=True))
