"""The narrow interface the emulator uses to drive its proxy.

``harness.ecs.emulator.elbv2_sync`` depends on this Protocol only, so its tests can pass
an in-memory fake; :class:`harness.ecs.haproxy.driver.HaproxyDriver` is the real one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from harness.ecs.haproxy.model import Backend, Server, ServerHealth
from harness.ecs.haproxy.routing import Frontend


class ProxyDriver(Protocol):
    def add_backend(self, backend: Backend) -> None:
        """Add it (idempotent for identical settings); raises on a conflicting duplicate."""

    def update_backend(self, backend: Backend) -> None:
        """Apply changed settings (check, drain time) of an existing backend."""

    def set_frontend(self, frontend: Frontend) -> None:
        """Route the proxy's listener ``frontend.port`` as given (replacing its routes);
        a change of weights alone is applied live, without dropping connections."""

    def remove_frontend(self, port: int) -> None:
        """No listener on ``port`` any more (nothing if there was none)."""

    def add_server(self, backend: str, server: Server) -> None:
        """Start checking the server; it gets traffic once a check passes."""

    def drain_server(self, backend: str, server_id: str) -> None:
        """No new requests for the server; in-flight ones finish."""

    def server_health(self, backend: str) -> list[ServerHealth]:
        """Health of every server of the backend, draining ones included."""

    def drain_finished(self, backend: str, server_id: str) -> bool:
        """True once the backend's drain time has passed and the server is gone."""

    def resume(
        self,
        backends: Iterable[Backend],
        frontends: Mapping[int, Frontend],
        servers: Mapping[str, Iterable[Server]],
    ) -> set[str]:
        """After an emulator restart: take over the backends the proxy already serves,
        with the adopted ``servers`` (backend name -> servers); return the backends taken
        over (a fresh proxy has none; the others are added as usual)."""
