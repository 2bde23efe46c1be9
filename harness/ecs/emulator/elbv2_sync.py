"""The scheduler's ``TargetBalancer`` over the real HAProxy, plus what flows back from it.

The ELBv2 API stores target groups and listeners in the control plane
(:class:`~harness.ecs.control_plane.elbv2.registry.LoadBalancing`); this adapter copies
them into HAProxy (:meth:`sync`, called by the driver loop, so the API modules need no
hook), registers task containers by their docker-network IP, and turns HAProxy's health
into ``TargetHealthChanged`` and finished draining into ``TargetDrained``. Every AWS
duration (health check interval and timeout, deregistration delay) becomes wall time
through the emulator's :class:`~harness.time_scale.TimeScale` on the way in; the ELBv2
API keeps showing AWS's numbers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from harness.ecs.control_plane import ControlPlane
from harness.ecs.control_plane.elbv2 import registry as elbv2
from harness.ecs.haproxy.model import HealthCheck, Target, TargetGroup, TargetHealthState
from harness.ecs.haproxy.protocol import LoadBalancer
from harness.ecs.runtime.task_containers import task_id
from harness.ecs.scheduler.actions import DeregisterTarget, RegisterTarget
from harness.ecs.scheduler.observations import Observation, TargetDrained, TargetHealthChanged
from harness.time_scale import TimeScale

log = logging.getLogger(__name__)

#: Resolves (task ARN, container name) to the container's IP on the balancer's network.
AddressOf = Callable[[str, str], str]


#: A health check answer is a network round trip plus the app's work: it does not get
#: faster with the time scale, so a scaled timeout never goes below this (seconds).
MIN_CHECK_TIMEOUT_S = 0.5


def balancer_target_group(group: elbv2.TargetGroup, scale: TimeScale) -> TargetGroup:
    """The ELBv2 target group as HAProxy's driver wants it, durations scaled.

    The interval and the deregistration delay scale as they are; the timeout scales too
    but is kept at ``MIN_CHECK_TIMEOUT_S`` at least (and below the interval, as ALB
    requires), or a busy machine would fail healthy targets on latency alone.
    """
    hc = group.health_check
    interval = scale.wall(hc.interval_seconds)
    timeout = min(scale.wall_at_least(hc.timeout_seconds, MIN_CHECK_TIMEOUT_S), interval * 0.8)
    return TargetGroup(
        name=group.name,
        health_check=HealthCheck(
            path=hc.path,
            interval_s=interval,
            timeout_s=timeout,
            healthy_threshold=max(2, hc.healthy_threshold),
            unhealthy_threshold=max(2, hc.unhealthy_threshold),
            matcher=hc.matcher,
        ),
        deregistration_delay_s=scale.wall(group.deregistration_delay.total_seconds()),
    )


@dataclass
class _Registration:
    task_arn: str
    target_group_arn: str
    group_name: str
    ip: str
    port: int
    healthy: bool | None = None
    draining: bool = False


class HaproxyTargetBalancer:
    """``TargetBalancer`` for the scheduler; :meth:`poll` reports what HAProxy decided."""

    def __init__(
        self,
        balancer: LoadBalancer,
        control_plane: ControlPlane,
        address_of: AddressOf,
        scale: TimeScale | None = None,
    ) -> None:
        self.balancer = balancer
        self.control_plane = control_plane
        self.address_of = address_of
        self.scale = scale or TimeScale()
        self._groups: dict[str, str] = {}  # target group ARN -> name in HAProxy
        self._applied: dict[str, TargetGroup] = {}  # target group ARN -> settings in HAProxy
        self._listeners: dict[int, str] = {}
        self._targets: dict[tuple[str, str], _Registration] = {}

    # -- ELBv2 resources -> HAProxy ---------------------------------------------------

    def sync(self) -> None:
        """Create new target groups, apply changed ones, bind new listeners in HAProxy.

        Changes matter: ``CreateTargetGroup`` is usually followed at once by
        ``ModifyTargetGroupAttributes`` (the deregistration delay), and a sync that ran
        in between must not leave HAProxy with the defaults (a 300 s drain).
        """
        with self.control_plane.lock:
            lbs = self.control_plane.load_balancing
            groups = [
                (arn, group)
                for arn, g in lbs.target_groups.items()
                if self._applied.get(arn) != (group := balancer_target_group(g, self.scale))
            ]
            listeners = [
                (listener.port, arns[0])
                for lb in lbs.load_balancers.values()
                for listener in lb.listeners.values()
                if (arns := listener.target_group_arns())
            ]
        for arn, group in groups:
            if arn in self._groups:
                self.balancer.update_target_group(group)
            else:
                self.balancer.create_target_group(group)
                self._groups[arn] = group.name
            self._applied[arn] = group
        for port, arn in listeners:
            name = self._groups.get(arn)
            if name is not None and self._listeners.get(port) != name:
                self.balancer.bind_listener(port, name)
                self._listeners[port] = name

    def resume(self, targets: Mapping[str, Iterable[Target]]) -> None:
        """After an emulator restart: take over what HAProxy already serves, no reload.

        ``targets`` (target group ARN -> adopted tasks' targets) must be known before the
        first :meth:`sync`, which would otherwise create every group anew and reload
        HAProxy without the servers it is sending traffic to.
        """
        with self.control_plane.lock:
            lbs = self.control_plane.load_balancing
            groups = {
                arn: balancer_target_group(g, self.scale) for arn, g in lbs.target_groups.items()
            }
            listeners = {
                listener.port: groups[arns[0]].name
                for lb in lbs.load_balancers.values()
                for listener in lb.listeners.values()
                if (arns := listener.target_group_arns()) and arns[0] in groups
            }
        resumed = self.balancer.resume(
            groups.values(),
            listeners,
            {groups[arn].name: list(found) for arn, found in targets.items() if arn in groups},
        )
        for arn, group in groups.items():
            if group.name in resumed:
                self._groups[arn] = group.name
                self._applied[arn] = group
        # listeners: the next sync binds them; HAProxy's driver knows the resumed ones

    # -- TargetBalancer ---------------------------------------------------------------

    def register_target(self, action: RegisterTarget) -> None:
        self.sync()
        name = self._groups[action.target_group_arn]
        ip = self.address_of(action.task_arn, action.container_name)
        self.balancer.register_target(name, task_id(action.task_arn), ip, action.container_port)
        self._targets[(action.task_arn, action.target_group_arn)] = _Registration(
            action.task_arn, action.target_group_arn, name, ip, action.container_port
        )
        self._mirror(
            lambda lbs, now: lbs.register_targets(
                action.target_group_arn, [{"Id": ip, "Port": action.container_port}], now
            )
        )

    def deregister_target(self, action: DeregisterTarget) -> None:
        registration = self._targets.get((action.task_arn, action.target_group_arn))
        if registration is None:
            return
        self.balancer.deregister_target(registration.group_name, task_id(action.task_arn))
        registration.draining = True
        self._mirror(
            lambda lbs, now: lbs.deregister_targets(
                action.target_group_arn, [{"Id": registration.ip, "Port": registration.port}], now
            )
        )

    # -- HAProxy -> observations ------------------------------------------------------

    def poll(self) -> list[Observation]:
        """Health changes of registered targets and drains that finished, since last poll."""
        found: list[Observation] = []
        by_group: dict[str, list[_Registration]] = {}
        for registration in self._targets.values():
            by_group.setdefault(registration.group_name, []).append(registration)
        for name, registrations in by_group.items():
            health = {h.target_id: h for h in self.balancer.target_health(name)}
            for r in registrations:
                if r.draining:
                    if self.balancer.draining_complete(name, task_id(r.task_arn)):
                        del self._targets[(r.task_arn, r.target_group_arn)]
                        found.append(TargetDrained(r.task_arn, r.target_group_arn))
                        self._mirror(lambda lbs, now: lbs.expire_draining(now, self.scale))
                    continue
                seen = health.get(task_id(r.task_arn))
                healthy = _verdict(seen.state if seen else None)
                if seen is None or healthy is None or healthy == r.healthy:
                    continue
                r.healthy = healthy
                found.append(TargetHealthChanged(r.task_arn, r.target_group_arn, healthy))
                log.info(
                    "target %s in %s: %s %s %s",
                    seen.target_id,
                    name,
                    seen.state,
                    seen.reason or "",
                    seen.description,
                )
                self._mirror(
                    lambda lbs, now, r=r, seen=seen: lbs.set_target_health(
                        r.target_group_arn,
                        r.ip,
                        r.port,
                        str(seen.state),
                        str(seen.reason) if seen.reason else None,
                        seen.description or None,
                    )
                )
        return found

    def _mirror(self, change: Callable[[elbv2.LoadBalancing, object], object]) -> None:
        """Keep ``DescribeTargetHealth`` in step with HAProxy (best effort)."""
        with self.control_plane.lock:
            try:
                change(self.control_plane.load_balancing, self.control_plane.now())
            except Exception as exc:  # the API view must never break the rollout
                log.warning("target registry mirror: %s", exc)


def _verdict(state: TargetHealthState | None) -> bool | None:
    if state is TargetHealthState.HEALTHY:
        return True
    if state is TargetHealthState.UNHEALTHY:
        return False
    return None
