"""The ALB stand-in's container, started by the emulator on the local cloud's network.

Docker cannot publish ports on a running container, so the listener ports an ELBv2
``CreateListener`` may use are published up front (each on 127.0.0.1 with a dynamic
host port); :meth:`HaproxyContainer.listener_url` says where a listener answers.
The Runtime API is published the same way: the emulator drives HAProxy from the host.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from dataclasses import dataclass
from typing import Any

import docker

from harness.docker_engine.containers import containers_labelled
from harness.ecs.haproxy import (
    RUNTIME_API_PORT,
    DockerConfigSink,
    HaproxyDriver,
    HaproxyError,
    ProxySettings,
    RuntimeApiAddress,
    RuntimeApiClient,
)
from harness.ecs.runtime.task_containers import EMULATOR_LABEL, OWNER_LABEL, emulator_owner
from harness.images.catalog import HAPROXY
from harness.images.resolver import ImageResolver
from harness.time_scale import TimeScale

#: Listener ports published by default (ALB's usual 80, and common app ports).
DEFAULT_LISTENER_PORTS: tuple[int, ...] = (80, 8080, 8081)
BALANCER_ROLE = "balancer"
#: ALB's default idle timeout (seconds), which HAProxy's keep-alive timeouts follow.
ALB_IDLE_TIMEOUT_S = 60.0


@dataclass
class HaproxyContainer:
    container: Any
    published: dict[int, int]
    driver: HaproxyDriver
    #: False for a balancer the emulator attached to: it is not the emulator's to remove.
    owned: bool = True

    def listener_url(self, port: int) -> str:
        if port not in self.published:
            raise HaproxyError(
                f"listener port {port} is not published; the emulator "
                f"publishes {sorted(self.published)}"
            )
        return f"http://127.0.0.1:{self.published[port]}"

    def remove(self) -> None:
        if not self.owned:
            return
        with contextlib.suppress(docker.errors.DockerException):
            self.container.remove(force=True)


#: The emulator's own HAProxy, bounded like the compose balancer (docker-compose.yml:
#: 12 MiB measured at peak; 128 MiB leaves room for thousands of connections' buffers).
BALANCER_MEMORY_LIMIT = "128m"


def start_haproxy(
    client: docker.DockerClient,
    resolver: ImageResolver,
    *,
    network: str,
    project: str,
    listener_ports: tuple[int, ...] = DEFAULT_LISTENER_PORTS,
    scale: TimeScale | None = None,
    ready_timeout_s: float = 20.0,
    owner: str | None = None,
) -> HaproxyContainer:
    """Build (or reuse) the image, run it, and wait until its Runtime API answers."""
    image = resolver.resolve(HAPROXY).ref
    ports = {f"{p}/tcp": ("127.0.0.1", None) for p in (RUNTIME_API_PORT, *listener_ports)}
    container = client.containers.run(
        image,
        name=f"drydock-alb-{uuid.uuid4().hex[:8]}",
        network=network,
        ports=ports,
        mem_limit=BALANCER_MEMORY_LIMIT,
        memswap_limit=BALANCER_MEMORY_LIMIT,
        labels={
            "drydock.project": project,
            f"drydock.{EMULATOR_LABEL}": BALANCER_ROLE,
            f"drydock.{OWNER_LABEL}": owner or emulator_owner(),
        },
        detach=True,
    )
    try:
        container.reload()
        return _drive_published(container, scale or TimeScale(), ready_timeout_s)
    except Exception:
        container.remove(force=True)
        raise


def find_kept_haproxy(
    client: docker.DockerClient,
    *,
    project: str,
    owner: str,
    scale: TimeScale | None = None,
    ready_timeout_s: float = 20.0,
) -> HaproxyContainer | None:
    """The running balancer an emulator of identity ``owner`` kept on its way out.

    An emulator stopped with ``keep_tasks`` leaves its HAProxy serving the tasks too, so
    clients see no outage while it restarts; the next one drives it again (its driver
    then resumes HAProxy's state, see ``HaproxyDriver.resume``).
    """
    labels = {"project": project, EMULATOR_LABEL: BALANCER_ROLE, OWNER_LABEL: owner}
    found = [c for c in containers_labelled(client, **labels) if c.status == "running"]
    if not found:
        return None
    return _drive_published(found[0], scale or TimeScale(), ready_timeout_s)


def _drive_published(container: Any, scale: TimeScale, ready_timeout_s: float) -> HaproxyContainer:
    """A driver for an HAProxy whose Runtime API and listeners are published on the host."""
    published = {
        int(key.split("/")[0]): int(value[0]["HostPort"])
        for key, value in container.attrs["NetworkSettings"]["Ports"].items()
        if value
    }
    api = RuntimeApiClient(RuntimeApiAddress("127.0.0.1", published.pop(RUNTIME_API_PORT)))
    _wait_for_runtime_api(api, ready_timeout_s)
    driver = HaproxyDriver(api, DockerConfigSink(container), proxy_settings(scale))
    return HaproxyContainer(container, published, driver)


def attach_haproxy(
    client: docker.DockerClient,
    service: str,
    *,
    project: str,
    scale: TimeScale | None = None,
    ready_timeout_s: float = 30.0,
) -> HaproxyContainer:
    """Drive the balancer compose runs as ``service``, by its name on the network.

    Used when the emulator itself runs in a container on the same network: the
    Runtime API is reached as ``<service>:9999``, and the listener URLs are the host
    ports compose published.
    """
    found = client.containers.list(
        filters={
            "label": [
                f"com.docker.compose.project={project}",
                f"com.docker.compose.service={service}",
            ]
        }
    )
    if not found:
        raise HaproxyError(f"no running balancer: compose service {service!r} of {project!r}")
    container = found[0]
    published = {
        int(key.split("/")[0]): int(value[0]["HostPort"])
        for key, value in container.attrs["NetworkSettings"]["Ports"].items()
        if value
    }
    published.pop(RUNTIME_API_PORT, None)
    api = RuntimeApiClient(RuntimeApiAddress(service, RUNTIME_API_PORT))
    _wait_for_runtime_api(api, ready_timeout_s)
    driver = HaproxyDriver(api, DockerConfigSink(container), proxy_settings(scale or TimeScale()))
    return HaproxyContainer(container, published, driver, owned=False)


def proxy_settings(scale: TimeScale) -> ProxySettings:
    """HAProxy's timeouts for this time scale: ALB's 60 s idle timeout, scaled, but never
    under a second (a keep-alive connection's idle time is real time for its client)."""
    return ProxySettings(idle_timeout_s=scale.wall_at_least(ALB_IDLE_TIMEOUT_S, 1.0))


def _wait_for_runtime_api(api: RuntimeApiClient, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if "HAProxy" in api.worker("show info"):
                return
        time.sleep(0.1)
    raise HaproxyError(f"HAProxy's Runtime API did not answer within {timeout_s:.0f} s")
