"""Refuse to start when a published port is taken by something that is not ours."""

from __future__ import annotations

import socket
from collections.abc import Mapping

import docker

from harness.errors import PortInUseError


def ports_held_by_project(client: docker.DockerClient, project: str) -> set[int]:
    """Host ports the project's own running containers already publish."""
    held: set[int] = set()
    containers = client.containers.list(
        filters={"label": f"com.docker.compose.project={project}"}, ignore_removed=True
    )
    for container in containers:
        for bindings in (container.ports or {}).values():
            for binding in bindings or []:
                held.add(int(binding["HostPort"]))
    return held


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now (the OS's pick), for a short-lived local listener."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def ensure_ports_free(
    client: docker.DockerClient, project: str, host: str, ports: Mapping[str, int]
) -> None:
    """``ports`` maps the setting that chooses a port (its env var) to the port."""
    ours = ports_held_by_project(client, project)
    for variable, port in ports.items():
        if port not in ours and not port_is_free(host, port):
            raise PortInUseError(
                f"port {port} on {host} is already in use by another program; "
                f"free it or choose another with {variable}=<port>"
            )
