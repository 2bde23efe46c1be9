"""Drive a real HAProxy (the ALB stand-in) through its Runtime API.

Servers come and go with ``add server`` / ``del server`` (no reload, no lost
connections); backends and frontends change the config, written through a
:class:`~harness.ecs.haproxy.sink.ConfigSink` and applied with a master-worker reload.
The config choices are explained in :mod:`harness.ecs.haproxy.config`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping

from harness.ecs.control_plane.elbv2.target_health import (
    TargetHealthReason,
    TargetHealthState,
)
from harness.ecs.haproxy.config import (
    RUNTIME_API_PORT,
    WEIGHTS_MAP_PATH,
    ProxySettings,
    as_frontend,
    checked_server_args,
    fail_open_server_args,
    render_config,
)
from harness.ecs.haproxy.errors import (
    BackendConflictError,
    InvalidFrontendError,
    RuntimeApiError,
    ServerStateError,
    UnknownBackendError,
)
from harness.ecs.haproxy.health import check_passed, server_health
from harness.ecs.haproxy.model import Backend, Server, ServerHealth, ServerState
from harness.ecs.haproxy.routing import Frontend, single
from harness.ecs.haproxy.routing_config import WEIGHTS_MAP_NAME, weights_map
from harness.ecs.haproxy.runtime_api import RuntimeApiClient
from harness.ecs.haproxy.sink import ConfigSink
from harness.ecs.haproxy.stats import (
    ServerStats,
    TrafficCounters,
    parse_show_stat,
    parse_traffic,
)

_ADDED = "New server registered."
_DELETED = "Server deleted."
_WORKING_STATES = (TargetHealthState.HEALTHY, TargetHealthState.UNHEALTHY)


class HaproxyDriver:
    """The :class:`~harness.ecs.haproxy.protocol.ProxyDriver` backed by HAProxy 2.6.

    State it keeps that HAProxy cannot (:class:`ServerState`): when each server started
    draining (from the injected ``clock``, monotonic seconds; the one draining clock),
    which servers passed a check since they were added and which fail-open twins are
    armed. Calls are serialised with a lock, so the emulator may call from several
    threads.
    """

    def __init__(
        self,
        api: RuntimeApiClient,
        sink: ConfigSink,
        settings: ProxySettings | None = None,
        clock: Callable[[], float] = time.monotonic,
        reload_timeout_s: float = 15.0,
    ) -> None:
        self.api = api
        self.sink = sink
        self.settings = settings or ProxySettings()
        self.clock = clock
        self.reload_timeout_s = reload_timeout_s
        self._backends: dict[str, Backend] = {}
        self._frontends: dict[int, Frontend] = {}
        self._servers: dict[str, dict[str, ServerState]] = {}
        self._undeleted: set[tuple[str, str]] = set()
        self._lock = threading.RLock()

    # -- backends and frontends (config + reload) -------------------------------------

    def add_backend(self, backend: Backend) -> None:
        with self._lock:
            existing = self._backends.get(backend.name)
            if existing == backend:
                return
            if existing is not None:
                raise BackendConflictError(f"backend {backend.name!r} exists with other settings")
            self._backends[backend.name] = backend
            self._servers[backend.name] = {}
            self._reload()

    def update_backend(self, backend: Backend) -> None:
        """New settings for an existing backend.

        The drain time is the driver's own timer: it applies at once, to servers already
        draining too. A changed check is a backend setting, so it takes a reload.
        """
        with self._lock:
            existing = self._backend(backend.name)
            if existing == backend:
                return
            self._backends[backend.name] = backend
            if existing.check != backend.check:
                self._reload()

    def bind_frontend(self, port: int, backend: str) -> None:
        """Everything arriving on ``port`` goes to ``backend``."""
        self.set_frontend(single(port, backend))

    def set_frontend(self, frontend: Frontend) -> None:
        """Route listener ``frontend.port`` as given.

        A change of weights only is applied live (``set map``, see :mod:`.routing`): no
        reload, no connection touched. A change of routes (rules, conditions, which
        backends) rewrites the config and reloads, connection-safe as every reload.
        """
        with self._lock:
            for name in frontend.backend_names():
                self._backend(name)
            port = frontend.port
            if not 1 <= port <= 65535 or port == RUNTIME_API_PORT:
                raise InvalidFrontendError(
                    f"listener port {port} must be 1-65535 and not {RUNTIME_API_PORT}"
                    " (HAProxy's Runtime API)"
                )
            current = self._frontends.get(port)
            if current == frontend:
                return
            if current is not None and current.layout == frontend.layout:
                self._set_thresholds(frontend, current.thresholds())
                self._frontends[port] = frontend
            else:
                self._frontends[port] = frontend
                self._reload()

    def remove_frontend(self, port: int) -> None:
        """Stop listening on ``port`` (its listener went or moved): a reload, which lets
        requests in flight on it finish on the old worker."""
        with self._lock:
            if self._frontends.pop(port, None) is not None:
                self._reload()

    def _set_thresholds(self, frontend: Frontend, applied: Mapping[str, int]) -> None:
        for key, value in frontend.thresholds().items():
            if applied.get(key) != value:
                self.api.expect(f"set map {WEIGHTS_MAP_PATH} {key} {value}")

    def resume(
        self,
        backends: Iterable[Backend],
        frontends: Mapping[int, str | Frontend],
        servers: Mapping[str, Iterable[Server]],
    ) -> set[str]:
        """Take over a running HAProxy that a previous emulator drove; no reload.

        A restarted emulator knows its backends, frontends and adopted servers
        (``servers``: backend name -> servers) again, but this driver's memory is new.
        Each backend HAProxy already serves is taken as it is, with the servers found in
        it (their health and weight kept, so traffic never stops), and servers not
        adopted are removed. Returns the backends resumed; the others are left to
        :meth:`add_backend` (a fresh HAProxy has none).
        """
        with self._lock:
            proxies = set(self.api.show("show backend").split()) - {"#", "name"}
            frontend_stats = self.api.show("show stat -1 1 -1")
            resumed: set[str] = set()
            for backend in backends:
                if backend.proxy_name not in proxies or backend.name in self._backends:
                    continue
                rows = {
                    row.server: row
                    for row in parse_show_stat(
                        self.api.show(f"show stat {backend.proxy_name} 4 -1")
                    )
                }
                kept: dict[str, ServerState] = {}
                for server in servers.get(backend.name, ()):
                    row, twin = rows.get(server.name), rows.get(server.fail_open_name)
                    if row is None or twin is None:
                        continue  # not in HAProxy: added as new when the task is registered
                    kept[server.id] = ServerState(
                        server,
                        fail_open_armed=twin.status != "MAINT",
                        passed_once=check_passed(row),
                    )
                names = {
                    n for st in kept.values() for n in (st.server.name, st.server.fail_open_name)
                }
                for name in set(rows) - names:
                    self._remove_server(backend.proxy_name, name)
                self._backends[backend.name] = backend
                self._servers[backend.name] = kept
                resumed.add(backend.name)
            for port, given in frontends.items():
                frontend = as_frontend(port, given)
                serving = f"listener-{port},FRONTEND," in frontend_stats
                if serving and frontend.backend_names() <= resumed:
                    try:  # the weights it serves may be older than the journal's
                        self._set_thresholds(frontend, {})
                    except RuntimeApiError:
                        continue  # not this layout: the next set_frontend reloads
                    self._frontends[port] = frontend
            return resumed

    # -- servers (Runtime API, no reload) --------------------------------------------

    def add_server(self, backend: str, server: Server) -> None:
        """Add a checked server with weight 0 and a disabled fail-open twin.

        The server is added with weight 0 (no traffic), enabled, and set UP with a full
        health counter, so HAProxy itself counts consecutive failed checks and takes it
        DOWN after ``fall`` (= the unhealthy threshold) of them: initial -> unhealthy is
        decided by checks that actually failed, never by elapsed time (a busy machine
        runs checks late and slow). A server forced DOWN instead would count nothing:
        HAProxy keeps no failure count for a server that is already down. The weight
        comes with the first passing check (:meth:`server_health`), as ALB makes a new
        target healthy after one pass.
        """
        with self._lock:
            be = self._backend(backend)
            states = self._servers[backend]
            current = states.get(server.id)
            if current is not None:
                if current.server == server and current.drain_started is None:
                    return
                raise ServerStateError(
                    f"server {server.id!r} is already in (or draining from)"
                    f" {backend!r} as {current.server.ip}:{current.server.port}"
                )
            clash = [st for st in states.values() if st.server.name == server.name]
            if clash:
                raise ServerStateError(
                    f"server id {server.id!r} maps to the same HAProxy server name as"
                    f" {clash[0].server.id!r}; use ids that differ in letters or digits"
                )
            px = be.proxy_name
            api = self.api
            checked = checked_server_args(server, be.check)
            api.expect(f"add server {px}/{server.name} {checked} weight 0", _ADDED)
            api.expect(f"enable health {px}/{server.name}")
            api.expect(f"enable server {px}/{server.name}")
            api.expect(f"set server {px}/{server.name} health up")
            twin = fail_open_server_args(server)
            api.expect(f"add server {px}/{server.fail_open_name} {twin}", _ADDED)
            states[server.id] = ServerState(server)

    def drain_server(self, backend: str, server_id: str) -> None:
        """No new requests for the server (nor its twin); in-flight ones finish."""
        with self._lock:
            be = self._backend(backend)
            state = self._server_state(backend, server_id)
            if state.drain_started is not None:
                return
            for name in (state.server.name, state.server.fail_open_name):
                self.api.expect(f"set server {be.proxy_name}/{name} state drain")
            state.drain_started = self.clock()

    def drain_finished(self, backend: str, server_id: str) -> bool:
        """True when the server is gone; removes it once the backend's drain time passed.

        ALB shows a deregistering target as ``draining`` for the whole delay and ECS
        stops the task only then, so completion waits for the delay, not for the last
        in-flight request. Requests still running after the delay are cut, as on ALB.
        """
        with self._lock:
            be = self._backend(backend)
            state = self._servers[backend].get(server_id)
            if state is None:
                return True
            if state.drain_started is None:
                raise ServerStateError(f"server {server_id!r} in {backend!r} is not draining")
            if self.clock() - state.drain_started < be.drain_s:
                return False
            for name in (state.server.name, state.server.fail_open_name):
                self._remove_server(be.proxy_name, name)
            del self._servers[backend][server_id]
            return True

    def server_health(self, backend: str) -> list[ServerHealth]:
        """Health of every server of the backend, in ELBv2's words.

        Also gives a server its weight after its first passing check, and arms the
        fail-open twins of servers that left ``initial``.
        """
        with self._lock:
            be = self._backend(backend)
            self._retry_deletes()
            rows = {
                row.server: row
                for row in parse_show_stat(self.api.show(f"show stat {be.proxy_name} 4 -1"))
            }
            return [self._health(be, state, rows) for state in self._servers[backend].values()]

    def traffic(self) -> list[TrafficCounters]:
        """Every frontend's, backend's and server's traffic counters (one ``show stat``)."""
        with self._lock:
            return parse_traffic(self.api.show("show stat -1 7 -1"))

    # -- internals --------------------------------------------------------------------

    def _health(
        self, be: Backend, state: ServerState, rows: dict[str, ServerStats]
    ) -> ServerHealth:
        server = state.server
        row = rows.get(server.name)
        if row is None:
            return ServerHealth(
                server.id,
                server.port,
                TargetHealthState.UNAVAILABLE,
                TargetHealthReason.INTERNAL_ERROR,
                f"HAProxy has no server {be.proxy_name}/{server.name}",
            )
        draining = state.drain_started is not None
        if not state.passed_once and not draining and check_passed(row):
            self.api.expect(f"set server {be.proxy_name}/{server.name} weight 1")
            state.passed_once = True
        health, reason, description = server_health(
            row, draining=draining, passed_once=state.passed_once
        )
        if health in _WORKING_STATES and not state.fail_open_armed:
            self.api.expect(f"enable server {be.proxy_name}/{server.fail_open_name}")
            state.fail_open_armed = True
        return ServerHealth(server.id, server.port, health, reason, description)

    def _remove_server(self, proxy: str, server: str) -> None:
        self.api.expect(f"set server {proxy}/{server} state maint")
        self.api.worker(f"shutdown sessions server {proxy}/{server}")
        for _ in range(20):
            if self.api.worker(f"del server {proxy}/{server}").strip() == _DELETED:
                return
            time.sleep(0.05)
        # In maintenance it takes no traffic; delete it later, once its connections close.
        self._undeleted.add((proxy, server))

    def _retry_deletes(self) -> None:
        for proxy, server in list(self._undeleted):
            if self.api.worker(f"del server {proxy}/{server}").strip() == _DELETED:
                self._undeleted.discard((proxy, server))

    def _backend(self, name: str) -> Backend:
        try:
            return self._backends[name]
        except KeyError:
            raise UnknownBackendError(f"backend {name!r} does not exist") from None

    def _server_state(self, backend: str, server_id: str) -> ServerState:
        try:
            return self._servers[backend][server_id]
        except KeyError:
            raise ServerStateError(f"server {server_id!r} is not in {backend!r}") from None

    def _reload(self) -> None:
        """Write config + saved server states, reload, wait for the new worker to serve."""
        servers = {name: list(states.values()) for name, states in self._servers.items()}
        config = render_config(self._backends.values(), self._frontends, servers, self.settings)
        old_pid, old_failures = _current_worker(self.api.master("show proc"))
        saved_states = self.api.show("show servers state")
        self.sink.write(
            {
                "haproxy.cfg": config,
                "servers.state": saved_states,
                WEIGHTS_MAP_NAME: weights_map(self._frontends.values()),
            }
        )
        self.api.master("reload")
        deadline = time.monotonic() + self.reload_timeout_s
        while time.monotonic() < deadline:
            try:
                pid, failures = _current_worker(self.api.master("show proc"))
            except RuntimeApiError:
                pid, failures = old_pid, old_failures  # master re-executing; ask again
            if failures > old_failures:
                raise RuntimeApiError(
                    "HAProxy rejected the rendered configuration (see the container's log):\n"
                    + config
                )
            if pid is not None and pid != old_pid:
                return
            time.sleep(0.05)
        raise RuntimeApiError(f"HAProxy did not finish reloading in {self.reload_timeout_s} s")


def _current_worker(show_proc: str) -> tuple[str | None, int]:
    """(pid of the newest worker, failed reload count) from the master's ``show proc``."""
    failures = 0
    pid: str | None = None
    section = ""
    for line in show_proc.splitlines():
        if line.startswith("#"):
            section = line
            continue
        fields = line.split()
        if len(fields) < 3:
            continue
        if fields[1] == "master" and "[failed:" in line:
            failures = int(line.split("[failed:")[1].split("]")[0])
        elif "workers" in section and fields[1] == "worker" and fields[2] == "0":
            pid = fields[0]
    return pid, failures
