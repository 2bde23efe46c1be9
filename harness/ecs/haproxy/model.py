"""Backends, servers and health checks, as HAProxy names them.

Durations here are wall seconds, *already scaled* (``harness.ecs.emulator.haproxy_backends``
turns ELBv2's AWS seconds into these), so a 30 s interval may arrive as 0.3 s; HAProxy gets
them in milliseconds. Nothing here judges ELBv2 input: the control plane did.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from harness.ecs.control_plane.elbv2.target_health import TargetHealthReason, TargetHealthState

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True)
class Check:
    """A backend's HTTP health check: ``http-check send``/``expect``, ``inter``, ``fall``,
    ``timeout check``. ``rise`` is always 1 (see :mod:`.config`)."""

    path: str = "/"
    inter_s: float = 30.0
    timeout_s: float = 5.0
    fall: int = 2
    expect_status: str = "200"
    """The status codes that pass, as ALB's matcher spells them (``200``, ``200-299``)."""

    @property
    def inter_ms(self) -> int:
        return to_ms(self.inter_s)

    @property
    def timeout_ms(self) -> int:
        return to_ms(self.timeout_s)


@dataclass(frozen=True)
class Backend:
    """One HAProxy backend (one per target group), called :attr:`proxy_name` in HAProxy.

    ``drain_s``: how long a drained server keeps its in-flight requests before it is
    removed (the deregistration delay; the driver is the one clock that times it).
    """

    name: str
    check: Check = field(default_factory=Check)
    drain_s: float = 300.0

    @property
    def proxy_name(self) -> str:
        return f"tg-{self.name}"


@dataclass(frozen=True)
class Server:
    """A server of a backend: a container's IP and port on the balancer's docker network.

    ``id`` is the caller's (the task id); :attr:`name` is HAProxy's server name for it.
    """

    id: str
    ip: str
    port: int

    @property
    def name(self) -> str:
        """The checked server: takes traffic while its checks pass."""
        return "t-" + _UNSAFE_NAME.sub("_", self.id)

    @property
    def fail_open_name(self) -> str:
        """Unchecked ``backup`` twin: used only when every checked server is down (fail open)."""
        return self.name + "-fo"


@dataclass(frozen=True)
class ServerHealth:
    """A server's health in ELBv2's words (the control plane's states and reasons)."""

    server_id: str
    port: int
    state: TargetHealthState
    reason: TargetHealthReason | None = None
    description: str = ""


@dataclass
class ServerState:
    """What the driver knows about a server that HAProxy cannot tell it after a reload."""

    server: Server
    fail_open_armed: bool = False
    passed_once: bool = False
    """A check passed since it was added: it has its weight and is past ``initial``."""
    drain_started: float | None = None
    """When the driver drained it (its clock, monotonic seconds); None: not draining."""


def to_ms(seconds: float) -> int:
    """HAProxy timers are whole milliseconds; never round a positive duration to 0."""
    return max(1, round(seconds * 1000))
