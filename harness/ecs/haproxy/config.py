"""Render haproxy.cfg from the balancer's model (target groups, listeners, targets).

Choices, and why (ALB behaviour first, zero failed requests second):

* ``master-worker``: the driver reloads through the master CLI when target groups or
  listeners change; a reload keeps the old worker until its connections finish, so
  in-flight requests survive it. Targets change through the Runtime API (``add server``)
  without reloads; on a reload they are rendered as static servers and their health and
  drain states come back from ``server-state-file`` (the driver saves it just before).
* One backend per target group: health-check path, matcher and timeout are backend
  settings in HAProxy, so they cannot be slots shared between target groups.
* ``option http-server-close``: a fresh connection to the target for every request, so a
  draining target gets no new request over an idle keep-alive connection, and the app's
  keep-alive timeout cannot race the balancer's (the classic 502 during deploys). ALB
  itself reuses backend connections; this is the one place we prefer safety to fidelity.
* Client side keeps ALB's idle timeout (60 s by default) for keep-alive and inactivity.
* ``retry-on conn-failure`` + ``option redispatch 1``: a request whose connection to the
  target failed was never sent, so retrying it on another target is safe even for POST.
  Nothing else is retried (an empty response may mean the POST was processed).
* ``rise 1``: ALB makes a newly registered target healthy after ONE passing check.
  HAProxy's ``rise`` is per server and fixed, so a target that later turns unhealthy also
  comes back after one pass (ALB would want ``healthy_threshold`` passes).
* ``fall`` = unhealthy threshold, and a new target starts UP with weight 0 (no traffic)
  and a full health counter: HAProxy counts the consecutive failed checks that make it
  unhealthy (a server that starts DOWN would count none). Its weight comes with its first
  passing check; a reload renders weight 0 for a target that has not passed one yet.
* Fail open: each target has an unchecked ``backup`` twin and the backend has
  ``option allbackups``, so when every checked server is down HAProxy itself sends traffic
  to all twins at once (no driver round-trip). A twin starts disabled and the driver
  enables it once the target has left ``initial``, so a starting app never gets traffic.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from harness.ecs.haproxy.model import HealthCheck, Target, TargetGroup, to_ms

STATE_DIR = "/var/lib/drydock-haproxy"
CONFIG_PATH = f"{STATE_DIR}/haproxy.cfg"
SERVER_STATE_PATH = f"{STATE_DIR}/servers.state"
RUNTIME_API_PORT = 9999
"""The master CLI's TCP port inside the container (see docker/haproxy/entrypoint.sh)."""


@dataclass(frozen=True)
class BalancerSettings:
    """Balancer-wide timeouts (seconds, already time-scaled) and retry policy."""

    idle_timeout_s: float = 60.0
    connect_timeout_s: float = 5.0
    retries: int = 2
    retry_on: tuple[str, ...] = ("conn-failure",)


@dataclass(frozen=True)
class TargetServerState:
    """What the config needs to know about a registered target at reload time."""

    target: Target
    fail_open_armed: bool
    passed_once: bool = True


def matcher_regex(matcher: str) -> str:
    """ALB matcher ('200', '200,202', '200-299') as an anchored regex for ``rstatus``."""
    codes: list[str] = []
    for part in matcher.split(","):
        low, _, high = part.partition("-")
        codes.extend(str(c) for c in range(int(low), int(high or low) + 1))
    return "^(" + "|".join(codes) + ")$"


def checked_server_args(target: Target, health_check: HealthCheck) -> str:
    """Arguments of the health-checked server line (shared by config and ``add server``)."""
    return (
        f"{target.ip}:{target.port} check inter {health_check.interval_ms}ms"
        f" rise 1 fall {health_check.unhealthy_threshold}"
    )


def fail_open_server_args(target: Target) -> str:
    return f"{target.ip}:{target.port} backup"


def render_config(
    target_groups: Iterable[TargetGroup],
    listeners: Mapping[int, str],
    targets: Mapping[str, Iterable[TargetServerState]] | None = None,
    settings: BalancerSettings | None = None,
) -> str:
    """The whole haproxy.cfg; ``listeners`` maps a port to a target group name."""
    settings = settings or BalancerSettings()
    targets = targets or {}
    groups = {tg.name: tg for tg in target_groups}
    idle = to_ms(settings.idle_timeout_s)
    lines = [
        "# Rendered by harness.ecs.haproxy.config; edits are overwritten on reload.",
        "global",
        "    master-worker",
        "    stats socket /run/haproxy-admin.sock mode 600 level admin",
        "    stats timeout 30s",
        f"    server-state-file {SERVER_STATE_PATH}",
        "",
        "defaults",
        "    mode http",
        "    option http-server-close",
        f"    timeout connect {to_ms(settings.connect_timeout_s)}ms",
        f"    timeout client {idle}ms",
        f"    timeout server {idle}ms",
        f"    timeout http-keep-alive {idle}ms",
        f"    timeout http-request {idle}ms",
        "    load-server-state-from-file global",
    ]
    for port in sorted(listeners):
        tg = groups[listeners[port]]
        lines += [
            "",
            f"frontend listener-{port}",
            f"    bind :{port}",
            f"    default_backend {tg.backend}",
        ]
    for tg in sorted(groups.values(), key=lambda g: g.name):
        lines += ["", *_backend_lines(tg, targets.get(tg.name, ()), settings)]
    return "\n".join(lines) + "\n"


def _backend_lines(
    tg: TargetGroup, servers: Iterable[TargetServerState], settings: BalancerSettings
) -> list[str]:
    hc = tg.health_check
    lines = [
        f"backend {tg.backend}",
        "    balance roundrobin",
        "    option allbackups",
        "    option httpchk",
        f"    http-check send meth GET uri {hc.path} ver HTTP/1.1 hdr Host drydock-alb",
        f"    http-check expect rstatus {matcher_regex(hc.matcher)}",
        f"    timeout check {hc.timeout_ms}ms",
    ]
    if settings.retries > 0 and settings.retry_on:
        lines += [
            f"    retries {settings.retries}",
            f"    retry-on {' '.join(settings.retry_on)}",
            "    option redispatch 1",
        ]
    else:
        lines.append("    retries 0")
    for state in servers:
        t = state.target
        weight = "" if state.passed_once else " weight 0"
        lines.append(f"    server {t.server} {checked_server_args(t, hc)}{weight}")
        disabled = "" if state.fail_open_armed else " disabled"
        lines.append(f"    server {t.fail_open_server} {fail_open_server_args(t)}{disabled}")
    return lines
