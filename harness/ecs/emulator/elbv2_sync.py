"""ELBv2 state into HAProxy, HAProxy's verdicts back: the scheduler's target port.

The ELBv2 API stores target groups and listeners in the control plane
(:class:`~harness.ecs.control_plane.elbv2.registry.Elbv2Registry`); :class:`Elbv2Sync`
copies them into HAProxy as backends and frontends, listener rules and weights included
(:meth:`Elbv2Sync.sync`, called by the driver loop, so the API modules need no hook),
registers task containers as servers by their docker-network IP, and turns HAProxy's
health into ``TargetHealthChanged`` and finished drains into ``TargetDrained``, writing
both into the registry so that ``DescribeTargetHealth`` shows them. HAProxy's driver is
the one draining clock: a drained target leaves the registry when the driver says its
delay is over. The translation itself (durations scaled) is :mod:`.haproxy_backends`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from harness.ecs.control_plane import ControlPlane
from harness.ecs.control_plane.elbv2.registry import Elbv2Registry
from harness.ecs.control_plane.elbv2.target_health import TargetHealthState
from harness.ecs.emulator.haproxy_backends import backend_of, frontends_of, server_of
from harness.ecs.haproxy.model import Backend, Server
from harness.ecs.haproxy.protocol import ProxyDriver
from harness.ecs.haproxy.routing import Frontend
from harness.ecs.runtime.task_containers import task_id
from harness.ecs.scheduler.actions import DeregisterTarget, RegisterTarget
from harness.ecs.scheduler.observations import Observation, TargetDrained, TargetHealthChanged
from harness.time_scale import TimeScale

log = logging.getLogger(__name__)

#: Resolves (task ARN, container name) to the container's IP on the balancer's network.
AddressOf = Callable[[str, str], str]

#: A task's registered container, as the adoption found it: (task ARN, IP, port).
AdoptedTarget = tuple[str, str, int]


@dataclass
class _SyncedTarget:
    """A task container this adapter registered: where it is in HAProxy and in ELBv2."""

    task_arn: str
    target_group_arn: str
    backend: str
    ip: str
    port: int
    healthy: bool | None = None
    draining: bool = False


class Elbv2Sync:
    """The scheduler's ``TargetRegistrar`` over HAProxy; :meth:`poll` reports what HAProxy
    decided."""

    def __init__(
        self,
        proxy: ProxyDriver,
        control_plane: ControlPlane,
        address_of: AddressOf,
        scale: TimeScale | None = None,
    ) -> None:
        self.proxy = proxy
        self.control_plane = control_plane
        self.address_of = address_of
        self.scale = scale or TimeScale()
        self._applied: dict[str, Backend] = {}  # target group ARN -> backend in HAProxy
        self._frontends: dict[int, Frontend] = {}
        self._targets: dict[tuple[str, str], _SyncedTarget] = {}

    # -- ELBv2 resources -> HAProxy ---------------------------------------------------

    def sync(self) -> None:
        """Add new backends, apply changed ones, bind new frontends in HAProxy.

        Changes matter: ``CreateTargetGroup`` is usually followed at once by
        ``ModifyTargetGroupAttributes`` (the deregistration delay), and a sync that ran
        in between must not leave HAProxy with the defaults (a 300 s drain).
        """
        with self.control_plane.lock:
            elbv2 = self.control_plane.elbv2
            changed = [
                (arn, backend)
                for arn, g in elbv2.target_groups.items()
                if self._applied.get(arn) != (backend := backend_of(g, self.scale))
            ]
            # the rules are read under the lock: the API may be changing them
            frontends = frontends_of(
                elbv2.listeners(),
                {arn: backend_of(g, self.scale) for arn, g in elbv2.target_groups.items()},
            )
        for arn, backend in changed:
            if arn in self._applied:
                self.proxy.update_backend(backend)
            else:
                self.proxy.add_backend(backend)
            self._applied[arn] = backend
        for port in set(self._frontends) - set(frontends):  # a listener moved (ModifyListener)
            self.proxy.remove_frontend(port)
            del self._frontends[port]
        for port, frontend in frontends.items():
            if self._frontends.get(port) != frontend:
                self.proxy.set_frontend(frontend)  # weights only: live, no reload
                self._frontends[port] = frontend

    def resume(self, targets: Mapping[str, Iterable[AdoptedTarget]]) -> None:
        """After an emulator restart: take over what HAProxy already serves, no reload.

        ``targets`` (target group ARN -> adopted tasks' containers) must be known before
        the first :meth:`sync`, which would otherwise add every backend anew and reload
        HAProxy without the servers it is sending traffic to.
        """
        with self.control_plane.lock:
            elbv2 = self.control_plane.elbv2
            backends = {arn: backend_of(g, self.scale) for arn, g in elbv2.target_groups.items()}
            frontends = frontends_of(elbv2.listeners(), backends)
        servers: dict[str, list[Server]] = {
            backends[arn].name: [server_of(*found) for found in adopted]
            for arn, adopted in targets.items()
            if arn in backends
        }
        resumed = self.proxy.resume(backends.values(), frontends, servers)
        for arn, backend in backends.items():
            if backend.name in resumed:
                self._applied[arn] = backend
        # frontends: the next sync binds them; HAProxy's driver knows the resumed ones

    # -- TargetRegistrar --------------------------------------------------------------

    def register_target(self, action: RegisterTarget) -> None:
        self.sync()
        backend = self._applied[action.target_group_arn].name
        ip = self.address_of(action.task_arn, action.container_name)
        self.proxy.add_server(backend, server_of(action.task_arn, ip, action.container_port))
        self._targets[(action.task_arn, action.target_group_arn)] = _SyncedTarget(
            action.task_arn, action.target_group_arn, backend, ip, action.container_port
        )
        self._mirror(
            lambda elbv2, now: elbv2.register_targets(
                action.target_group_arn, [{"Id": ip, "Port": action.container_port}], now
            )
        )

    def deregister_target(self, action: DeregisterTarget) -> None:
        target = self._targets.get((action.task_arn, action.target_group_arn))
        if target is None:
            return
        # A rollback shifts weights off the group and drains it in one step: HAProxy must
        # have the new weights first, or a request still weighted to the group finds no
        # server (HAProxy's own 503).
        self.sync()
        self.proxy.drain_server(target.backend, task_id(action.task_arn))
        target.draining = True
        self._mirror(
            lambda elbv2, now: elbv2.deregister_targets(
                action.target_group_arn, [{"Id": target.ip, "Port": target.port}], now
            )
        )

    # -- HAProxy -> observations ------------------------------------------------------

    def poll(self) -> list[Observation]:
        """Health changes of registered targets and drains that finished, since last poll."""
        found: list[Observation] = []
        by_backend: dict[str, list[_SyncedTarget]] = {}
        for target in self._targets.values():
            by_backend.setdefault(target.backend, []).append(target)
        for backend, targets in by_backend.items():
            health = {h.server_id: h for h in self.proxy.server_health(backend)}
            for t in targets:
                if t.draining:
                    if self.proxy.drain_finished(backend, task_id(t.task_arn)):
                        del self._targets[(t.task_arn, t.target_group_arn)]
                        found.append(TargetDrained(t.task_arn, t.target_group_arn))
                        self._mirror(
                            lambda elbv2, _, t=t: elbv2.finish_draining(
                                t.target_group_arn, t.ip, t.port
                            )
                        )
                    continue
                seen = health.get(task_id(t.task_arn))
                healthy = _verdict(seen.state if seen else None)
                if seen is None or healthy is None or healthy == t.healthy:
                    continue
                t.healthy = healthy
                found.append(TargetHealthChanged(t.task_arn, t.target_group_arn, healthy))
                log.info(
                    "target %s in %s: %s %s %s",
                    seen.server_id,
                    backend,
                    seen.state,
                    seen.reason or "",
                    seen.description,
                )
                self._mirror(
                    lambda elbv2, _, t=t, seen=seen: elbv2.set_target_health(
                        t.target_group_arn,
                        t.ip,
                        t.port,
                        seen.state,
                        seen.reason,
                        seen.description or None,
                    )
                )
        return found

    def _mirror(self, change: Callable[[Elbv2Registry, datetime], object]) -> None:
        """Keep ``DescribeTargetHealth`` in step with HAProxy (best effort)."""
        with self.control_plane.lock:
            try:
                change(self.control_plane.elbv2, self.control_plane.now())
            except Exception as exc:  # the API view must never break the rollout
                log.warning("ELBv2 target mirror: %s", exc)


def _verdict(state: TargetHealthState | None) -> bool | None:
    if state is TargetHealthState.HEALTHY:
        return True
    if state is TargetHealthState.UNHEALTHY:
        return False
    return None
