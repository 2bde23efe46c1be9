"""The narrow interface the ECS emulator uses to drive its load balancer.

The scheduler side depends on this Protocol only, so its tests can pass an in-memory
fake; :class:`harness.ecs.haproxy.driver.HaproxyBalancer` is the real one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from harness.ecs.haproxy.model import Target, TargetGroup, TargetHealth


class LoadBalancer(Protocol):
    def create_target_group(self, target_group: TargetGroup) -> None:
        """Create it (idempotent for identical settings); raises on a conflicting duplicate."""

    def update_target_group(self, target_group: TargetGroup) -> None:
        """Apply changed settings (health check, deregistration delay) of an existing group."""

    def bind_listener(self, port: int, target_group: str) -> None:
        """Forward the balancer's ``port`` to ``target_group`` (rebinding replaces it)."""

    def register_target(self, target_group: str, target_id: str, ip: str, port: int) -> None:
        """Start health-checking the target; it gets traffic once a check passes."""

    def deregister_target(self, target_group: str, target_id: str) -> None:
        """Start draining: no new requests, in-flight ones finish."""

    def target_health(self, target_group: str) -> list[TargetHealth]:
        """``DescribeTargetHealth`` for every registered or draining target."""

    def draining_complete(self, target_group: str, target_id: str) -> bool:
        """True once the deregistration delay has passed and the target is gone."""

    def resume(
        self,
        target_groups: Iterable[TargetGroup],
        listeners: Mapping[int, str],
        targets: Mapping[str, Iterable[Target]],
    ) -> set[str]:
        """After an emulator restart: take over the groups the balancer already serves,
        with the adopted ``targets`` (group name -> targets); return the groups taken
        over (a fresh balancer has none; the others are created as usual)."""
