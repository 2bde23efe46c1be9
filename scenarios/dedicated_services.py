"""Private copies of the local cloud's services, for scenarios that make a dependency die.

The compose project's LocalStack and registry are shared by every session on the
machine, so a scenario about a dead dependency must never stop them. Instead it runs
its own container of the very image the stack uses (``ImageResolver`` picks upstream
or stand-in), on the local cloud's network under its own name, published on
127.0.0.1 with a dynamic port, and stops *that*. Each is a testcontainers container:
``with DedicatedLocalStack(...) as s3:`` removes it however the scenario ends.
"""

from __future__ import annotations

import time
from typing import ClassVar

import requests
from testcontainers.core.container import DockerContainer

from harness.images.catalog import LOCALSTACK, REGISTRY
from harness.images.resolver import ImageResolver
from harness.settings import DrydockSettings

LOOPBACK = "127.0.0.1"


class DedicatedService(DockerContainer):
    """One service container, ready when :meth:`answers` says so, stoppable mid-scenario.

    Subclasses name their ``container_port``. After :meth:`stop_service` the container
    stays (its logs can still be read) until the ``with`` block removes it.
    """

    container_port: ClassVar[int]
    role: ClassVar[str]

    def __init__(self, image: str, name: str, network: str, ready_timeout_s: float = 90.0):
        super().__init__(image)
        self.name = name
        self._ready_timeout_s = ready_timeout_s
        self.host_port = 0
        self.with_name(name).with_kwargs(
            network=network, labels={"drydock.scenario-service": self.role}
        )
        # Loopback only, dynamic host port (testcontainers' own binding has no host IP).
        self.ports[f"{self.container_port}/tcp"] = (LOOPBACK, None)  # type: ignore[assignment]

    @property
    def address(self) -> str:
        """``127.0.0.1:<port>`` as the host reaches it."""
        return f"{LOOPBACK}:{self.host_port}"

    def start(self) -> DedicatedService:
        super().start()
        container = self.get_wrapped_container()
        container.reload()
        binding = container.attrs["NetworkSettings"]["Ports"][f"{self.container_port}/tcp"]
        self.host_port = int(binding[0]["HostPort"])
        self._wait_until_ready()
        return self

    def answers(self) -> bool:
        raise NotImplementedError

    def stop_service(self, timeout_s: int = 5) -> None:
        """``docker stop``: what a crashed or stopped dependency looks like to its clients."""
        container = self.get_wrapped_container()
        container.stop(timeout=timeout_s)
        container.reload()
        assert container.status == "exited", container.status

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self._ready_timeout_s
        while time.monotonic() < deadline:
            try:
                if self.answers():
                    return
            except requests.RequestException:
                pass
            container = self.get_wrapped_container()
            container.reload()
            if container.status == "exited":
                break
            time.sleep(0.2)
        logs = self.get_wrapped_container().logs(tail=10).decode(errors="replace")
        raise AssertionError(f"{self.name} did not become ready: {logs}")


class DedicatedLocalStack(DedicatedService):
    """LocalStack (S3) as the stack runs it; tasks reach it at :attr:`url_in_network`."""

    container_port = 4566
    role = "localstack"

    @classmethod
    def of(
        cls, resolver: ImageResolver, settings: DrydockSettings, name: str
    ) -> DedicatedLocalStack:
        image = resolver.resolve(LOCALSTACK).ref
        # The same variables as docker-compose.yml: no reach for hosts off the machine.
        return cls(image, name, settings.network).with_envs(
            SERVICES="s3",
            EAGER_SERVICE_LOADING="1",
            DNS_ADDRESS="0",
            DISABLE_EVENTS="1",
            SKIP_SSL_CERT_DOWNLOAD="1",
            GATEWAY_LISTEN="0.0.0.0:4566",
        )

    @property
    def url_in_network(self) -> str:
        """The endpoint a task container on the cloud network uses (``AWS_ENDPOINT_URL``)."""
        return f"http://{self.name}:{self.container_port}"

    def answers(self) -> bool:
        health = requests.get(f"http://{self.address}/_localstack/health", timeout=2).json()
        return health.get("services", {}).get("s3") in ("running", "available")

    def settings_for(self, base: DrydockSettings) -> DrydockSettings:
        """Settings whose S3 client (``harness.aws.s3_client``) talks to this LocalStack."""
        return base.model_copy(update={"localstack_port": self.host_port})


class DedicatedRegistry(DedicatedService):
    """The registry (ECR stand-in) as the stack runs it; push to :attr:`address`."""

    container_port = 5000
    role = "registry"

    @classmethod
    def of(cls, resolver: ImageResolver, settings: DrydockSettings, name: str) -> DedicatedRegistry:
        return cls(resolver.resolve(REGISTRY).ref, name, settings.network)

    def answers(self) -> bool:
        return requests.get(f"http://{self.address}/v2/", timeout=2).status_code == 200

    def settings_for(self, base: DrydockSettings) -> DrydockSettings:
        """Settings whose pushes (``build_and_push``) go to this registry."""
        return base.model_copy(update={"registry_port": self.host_port})
