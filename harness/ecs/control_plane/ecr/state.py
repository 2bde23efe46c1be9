"""ECR's part of the control plane: repositories, the registry behind them, credentials.

One object on :class:`~harness.ecs.control_plane.plane.ControlPlane` (``cp.ecr``), so the
ECR operations reach everything they need from the plane they are called with.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from harness.ecs.control_plane.ecr.credentials import RegistryCredentials
from harness.ecs.control_plane.ecr.errors import ServerException
from harness.ecs.control_plane.ecr.registry_port import RegistryPort
from harness.ecs.control_plane.ecr.repositories import RepositoryRegistry

#: Where Drydock's registry listens by default (``DRYDOCK_REGISTRY_PORT``).
DEFAULT_REGISTRY_ADDRESS = "127.0.0.1:5050"


class EcrState:
    """``registry``: the store behind image operations (None: only repositories work).
    ``registry_address``: host:port clients push to, for ``repositoryUri`` and
    ``proxyEndpoint``."""

    def __init__(
        self,
        registry: RegistryPort | None = None,
        registry_address: str = DEFAULT_REGISTRY_ADDRESS,
        credentials: RegistryCredentials | None = None,
    ) -> None:
        self._registry = registry
        self.registry_address = registry_address
        self.credentials = credentials or RegistryCredentials.generate()
        self.repositories = RepositoryRegistry()
        #: When the emulator first saw each (repository, digest): the registry's API
        #: does not say when a manifest was pushed, so this stands for imagePushedAt.
        self.first_seen: dict[tuple[str, str], datetime] = {}
        #: True while the journal replays: the registry keeps its own state, so a
        #: replayed DeleteRepository must not delete images pushed since.
        self.replaying = False

    @property
    def registry(self) -> RegistryPort:
        if self._registry is None:
            raise ServerException(
                "No registry is attached to this emulator, so it has no images to show; "
                "run it with the local cloud's registry (drydock stack up)."
            )
        return self._registry

    @property
    def proxy_endpoint(self) -> str:
        return f"http://{self.registry_address}"

    def pushed_at(self, repository: str, digest: str, now: datetime) -> datetime:
        return self.first_seen.setdefault((repository, digest), now)

    @contextmanager
    def replay(self) -> Iterator[EcrState]:
        self.replaying = True
        try:
            yield self
        finally:
            self.replaying = False
