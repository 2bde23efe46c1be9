"""Render haproxy.cfg from backends, frontends (listener ports) and servers.

Choices, and why (ALB behaviour first, zero failed requests second):

* ``master-worker``: the driver reloads through the master CLI when target groups or
  listeners change; a reload keeps the old worker until its connections finish, so
  in-flight requests survive it. Targets change through the Runtime API (``add server``)
  without reloads; on a reload they are rendered as static servers and their health and
  drain states come back from ``server-state-file`` (the driver saves it just before).
* One backend per target group: health-check path, matcher and timeout are backend
  settings in HAProxy, so they cannot be slots shared between target groups.
* Listener rules and weighted forwards: ACLs and ``use_backend`` per listener, the
  weights in a map file changed live with ``set map`` (see :mod:`.routing`); only a
  change of rules (not of weights) reloads.
* ``option http-server-close``: a fresh connection to the target for every request, so a
  draining target gets no new request over an idle keep-alive connection, and the app's
  keep-alive timeout cannot race the balancer's (the classic 502 during deploys). ALB
  itself reuses backend connections; this is the one place we prefer safety to fidelity.
* Client side keeps ALB's idle timeout (60 s by default) for keep-alive and inactivity.
* ``option idle-close-on-response`` + ``hard-stop-after``: since HAProxy 2.4 an old
  worker closes its idle keep-alive client connections at once on a reload, so a client
  sending on one just then gets a reset (HAProxy's docs: "ALB sending 502 during haproxy
  reloads"). With the option the old worker keeps them, answers the next request on each
  with ``Connection: close`` and only then closes, as before 2.4; ``hard-stop-after``
  (twice the idle timeout plus the connect timeout: an idle connection's last request
  has time to finish) bounds how long an old worker lives. The listening sockets pass
  from worker to worker through the master (master-worker mode), so no connection is
  refused either.
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

from harness.ecs.haproxy.model import Backend, Check, Server, ServerState, to_ms
from harness.ecs.haproxy.routing import Frontend, single
from harness.ecs.haproxy.routing_config import WEIGHTS_MAP_NAME, frontend_lines

STATE_DIR = "/var/lib/drydock-haproxy"
CONFIG_PATH = f"{STATE_DIR}/haproxy.cfg"
SERVER_STATE_PATH = f"{STATE_DIR}/servers.state"
WEIGHTS_MAP_PATH = f"{STATE_DIR}/{WEIGHTS_MAP_NAME}"
RUNTIME_API_PORT = 9999
"""The master CLI's TCP port inside the container (see docker/haproxy/entrypoint.sh)."""


@dataclass(frozen=True)
class ProxySettings:
    """HAProxy-wide timeouts (seconds, already time-scaled) and retry policy."""

    idle_timeout_s: float = 60.0
    connect_timeout_s: float = 5.0
    retries: int = 2
    retry_on: tuple[str, ...] = ("conn-failure",)

    @property
    def hard_stop_after_s(self) -> float:
        """How long an old worker may outlive a reload (see the module doc)."""
        return 2 * self.idle_timeout_s + self.connect_timeout_s


def as_frontend(port: int, frontend: str | Frontend) -> Frontend:
    return single(port, frontend) if isinstance(frontend, str) else frontend


def expect_regex(expect_status: str) -> str:
    """Status codes ('200', '200,202', '200-299') as an anchored regex for ``rstatus``."""
    codes: list[str] = []
    for part in expect_status.split(","):
        low, _, high = part.partition("-")
        codes.extend(str(c) for c in range(int(low), int(high or low) + 1))
    return "^(" + "|".join(codes) + ")$"


def checked_server_args(server: Server, check: Check) -> str:
    """Arguments of the health-checked server line (shared by config and ``add server``)."""
    return f"{server.ip}:{server.port} check inter {check.inter_ms}ms rise 1 fall {check.fall}"


def fail_open_server_args(server: Server) -> str:
    return f"{server.ip}:{server.port} backup"


def render_config(
    backends: Iterable[Backend],
    frontends: Mapping[int, str | Frontend],
    servers: Mapping[str, Iterable[ServerState]] | None = None,
    settings: ProxySettings | None = None,
) -> str:
    """The whole haproxy.cfg; ``frontends`` maps a listener port to its routing (or to a
    backend name: everything to that backend). Weighted routes read ``WEIGHTS_MAP_PATH``,
    which must be written with it (:func:`~.routing_config.weights_map`)."""
    settings = settings or ProxySettings()
    servers = servers or {}
    groups = {be.name: be for be in backends}
    idle = to_ms(settings.idle_timeout_s)
    lines = [
        "# Rendered by harness.ecs.haproxy.config; edits are overwritten on reload.",
        "global",
        "    master-worker",
        "    stats socket /run/haproxy-admin.sock mode 600 level admin",
        "    stats timeout 30s",
        f"    server-state-file {SERVER_STATE_PATH}",
        f"    hard-stop-after {to_ms(settings.hard_stop_after_s)}ms",
        "",
        "defaults",
        "    mode http",
        "    option http-server-close",
        "    option idle-close-on-response",
        f"    timeout connect {to_ms(settings.connect_timeout_s)}ms",
        f"    timeout client {idle}ms",
        f"    timeout server {idle}ms",
        f"    timeout http-keep-alive {idle}ms",
        f"    timeout http-request {idle}ms",
        "    load-server-state-from-file global",
    ]
    for port in sorted(frontends):
        lines += ["", *frontend_lines(as_frontend(port, frontends[port]), groups, WEIGHTS_MAP_PATH)]
    for backend in sorted(groups.values(), key=lambda g: g.name):
        lines += ["", *_backend_lines(backend, servers.get(backend.name, ()), settings)]
    return "\n".join(lines) + "\n"


def _backend_lines(
    backend: Backend, servers: Iterable[ServerState], settings: ProxySettings
) -> list[str]:
    hc = backend.check
    lines = [
        f"backend {backend.proxy_name}",
        "    balance roundrobin",
        "    option allbackups",
        "    option httpchk",
        f"    http-check send meth GET uri {hc.path} ver HTTP/1.1 hdr Host drydock-alb",
        f"    http-check expect rstatus {expect_regex(hc.expect_status)}",
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
        s = state.server
        weight = "" if state.passed_once else " weight 0"
        lines.append(f"    server {s.name} {checked_server_args(s, hc)}{weight}")
        disabled = "" if state.fail_open_armed else " disabled"
        lines.append(f"    server {s.fail_open_name} {fail_open_server_args(s)}{disabled}")
    return lines
