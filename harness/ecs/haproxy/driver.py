"""Drive a real HAProxy (the ALB stand-in) through its Runtime API.

Targets come and go with ``add server`` / ``del server`` (no reload, no lost
connections); target groups and listeners change the config, written through a
:class:`~harness.ecs.haproxy.sink.ConfigSink` and applied with a master-worker reload.
The config choices are explained in :mod:`harness.ecs.haproxy.config`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from harness.ecs.haproxy.config import (
    RUNTIME_API_PORT,
    BalancerSettings,
    TargetServerState,
    checked_server_args,
    fail_open_server_args,
    render_config,
)
from harness.ecs.haproxy.errors import (
    DuplicateTargetGroupNameError,
    InvalidConfigurationRequestError,
    InvalidTargetError,
    RuntimeApiError,
    TargetGroupNotFoundError,
)
from harness.ecs.haproxy.health import check_passed, target_state
from harness.ecs.haproxy.model import (
    Target,
    TargetGroup,
    TargetHealth,
    TargetHealthReason,
    TargetHealthState,
)
from harness.ecs.haproxy.runtime_api import RuntimeApiClient
from harness.ecs.haproxy.sink import ConfigSink
from harness.ecs.haproxy.stats import ServerStats, parse_show_stat

_ADDED = "New server registered."
_DELETED = "Server deleted."
_WORKING_STATES = (TargetHealthState.HEALTHY, TargetHealthState.UNHEALTHY)


@dataclass
class _Registration:
    target: Target
    registered_at: float
    fail_open_armed: bool = False
    passed_once: bool = False
    """A check passed since registration: the server has its weight and is past initial."""
    draining_since: float | None = None


class HaproxyBalancer:
    """The :class:`~harness.ecs.haproxy.protocol.LoadBalancer` backed by HAProxy 2.6.

    State it keeps that HAProxy cannot: registration and drain start times (from the
    injected ``clock``, monotonic seconds), which targets passed a check since they were
    registered and which fail-open twins are armed. Calls are
    serialised with a lock, so the emulator may call from several threads.
    """

    def __init__(
        self,
        api: RuntimeApiClient,
        sink: ConfigSink,
        settings: BalancerSettings | None = None,
        clock: Callable[[], float] = time.monotonic,
        reload_timeout_s: float = 15.0,
    ) -> None:
        self.api = api
        self.sink = sink
        self.settings = settings or BalancerSettings()
        self.clock = clock
        self.reload_timeout_s = reload_timeout_s
        self._groups: dict[str, TargetGroup] = {}
        self._listeners: dict[int, str] = {}
        self._targets: dict[str, dict[str, _Registration]] = {}
        self._undeleted: set[tuple[str, str]] = set()
        self._lock = threading.RLock()

    # -- target groups and listeners (config + reload) -------------------------------

    def create_target_group(self, target_group: TargetGroup) -> None:
        with self._lock:
            existing = self._groups.get(target_group.name)
            if existing == target_group:
                return
            if existing is not None:
                raise DuplicateTargetGroupNameError(
                    f"target group {target_group.name!r} exists with other settings"
                )
            self._groups[target_group.name] = target_group
            self._targets[target_group.name] = {}
            self._reload()

    def update_target_group(self, target_group: TargetGroup) -> None:
        """New settings for an existing group (``ModifyTargetGroup[Attributes]``).

        The deregistration delay is the driver's own timer: it applies at once, to
        targets already draining too. A changed health check is a backend setting, so it
        takes a reload.
        """
        with self._lock:
            existing = self._group(target_group.name)
            if existing == target_group:
                return
            self._groups[target_group.name] = target_group
            if existing.health_check != target_group.health_check:
                self._reload()

    def bind_listener(self, port: int, target_group: str) -> None:
        with self._lock:
            self._group(target_group)
            if not 1 <= port <= 65535 or port == RUNTIME_API_PORT:
                raise InvalidConfigurationRequestError(
                    f"listener port {port} must be 1-65535 and not {RUNTIME_API_PORT}"
                    " (HAProxy's Runtime API)"
                )
            if self._listeners.get(port) == target_group:
                return
            self._listeners[port] = target_group
            self._reload()

    def resume(
        self,
        target_groups: Iterable[TargetGroup],
        listeners: Mapping[int, str],
        targets: Mapping[str, Iterable[Target]],
    ) -> set[str]:
        """Take over a running HAProxy that a previous emulator drove; no reload.

        A restarted emulator knows its target groups, listeners and adopted targets
        (``targets``: group name -> targets) again, but this driver's memory is new. Each
        group whose backend HAProxy already serves is taken as it is, with the targets
        found in it (their health and weight kept, so traffic never stops), and servers of
        targets not adopted are removed. Returns the groups resumed; the others are left
        to :meth:`create_target_group` (a fresh HAProxy has none).
        """
        with self._lock:
            backends = set(self.api.show("show backend").split()) - {"#", "name"}
            frontends = self.api.show("show stat -1 1 -1")
            resumed: set[str] = set()
            for tg in target_groups:
                if tg.backend not in backends or tg.name in self._groups:
                    continue
                rows = {
                    row.server: row
                    for row in parse_show_stat(self.api.show(f"show stat {tg.backend} 4 -1"))
                }
                kept: dict[str, _Registration] = {}
                for target in targets.get(tg.name, ()):
                    row, twin = rows.get(target.server), rows.get(target.fail_open_server)
                    if row is None or twin is None:
                        continue  # not in HAProxy: registered as new when the task is
                    kept[target.target_id] = _Registration(
                        target,
                        registered_at=self.clock(),
                        fail_open_armed=twin.status != "MAINT",
                        passed_once=check_passed(row),
                    )
                servers = {
                    n for r in kept.values() for n in (r.target.server, r.target.fail_open_server)
                }
                for server in set(rows) - servers:
                    self._remove_server(tg.backend, server)
                self._groups[tg.name] = tg
                self._targets[tg.name] = kept
                resumed.add(tg.name)
            for port, name in listeners.items():
                if name in resumed and f"listener-{port},FRONTEND," in frontends:
                    self._listeners[port] = name
            return resumed

    # -- targets (Runtime API, no reload) --------------------------------------------

    def register_target(self, target_group: str, target_id: str, ip: str, port: int) -> None:
        """Add a checked server with weight 0 and a disabled fail-open twin.

        The server is added with weight 0 (no traffic), enabled, and set UP with a full
        health counter, so HAProxy itself counts consecutive failed checks and takes it
        DOWN after ``fall`` (= the unhealthy threshold) of them: initial -> unhealthy is
        decided by checks that actually failed, never by elapsed time (a busy machine
        runs checks late and slow). A server forced DOWN instead would count nothing:
        HAProxy keeps no failure count for a server that is already down. The weight
        comes with the first passing check (:meth:`target_health`), as ALB makes a new
        target healthy after one pass.
        """
        with self._lock:
            tg = self._group(target_group)
            target = Target(target_id, ip, port)
            registrations = self._targets[target_group]
            current = registrations.get(target_id)
            if current is not None:
                if current.target == target and current.draining_since is None:
                    return
                raise InvalidTargetError(
                    f"target {target_id!r} is already registered (or draining) in"
                    f" {target_group!r} as {current.target.ip}:{current.target.port}"
                )
            clash = [r for r in registrations.values() if r.target.server == target.server]
            if clash:
                raise InvalidTargetError(
                    f"target id {target_id!r} maps to the same HAProxy server name as"
                    f" {clash[0].target.target_id!r}; use ids that differ in letters or digits"
                )
            be = tg.backend
            api = self.api
            checked = checked_server_args(target, tg.health_check)
            api.expect(f"add server {be}/{target.server} {checked} weight 0", _ADDED)
            api.expect(f"enable health {be}/{target.server}")
            api.expect(f"enable server {be}/{target.server}")
            api.expect(f"set server {be}/{target.server} health up")
            twin = fail_open_server_args(target)
            api.expect(f"add server {be}/{target.fail_open_server} {twin}", _ADDED)
            registrations[target_id] = _Registration(target, registered_at=self.clock())

    def deregister_target(self, target_group: str, target_id: str) -> None:
        with self._lock:
            tg = self._group(target_group)
            registration = self._registration(target_group, target_id)
            if registration.draining_since is not None:
                return
            target = registration.target
            for server in (target.server, target.fail_open_server):
                self.api.expect(f"set server {tg.backend}/{server} state drain")
            registration.draining_since = self.clock()

    def draining_complete(self, target_group: str, target_id: str) -> bool:
        """True when the target is gone; removes it once the deregistration delay passed.

        ALB shows a deregistering target as ``draining`` for the whole delay and ECS
        stops the task only then, so completion waits for the delay, not for the last
        in-flight request. Requests still running after the delay are cut, as on ALB.
        """
        with self._lock:
            tg = self._group(target_group)
            registration = self._targets[target_group].get(target_id)
            if registration is None:
                return True
            if registration.draining_since is None:
                raise InvalidTargetError(
                    f"target {target_id!r} in {target_group!r} is not deregistering"
                )
            if self.clock() - registration.draining_since < tg.deregistration_delay_s:
                return False
            for server in (registration.target.server, registration.target.fail_open_server):
                self._remove_server(tg.backend, server)
            del self._targets[target_group][target_id]
            return True

    def target_health(self, target_group: str) -> list[TargetHealth]:
        """Health of every registered target.

        Also gives a target its weight after its first passing check, and arms the
        fail-open twins of targets that left ``initial``.
        """
        with self._lock:
            tg = self._group(target_group)
            self._retry_deletes()
            rows = {
                row.server: row
                for row in parse_show_stat(self.api.show(f"show stat {tg.backend} 4 -1"))
            }
            now = self.clock()
            result: list[TargetHealth] = []
            for registration in self._targets[target_group].values():
                result.append(self._describe(tg, registration, rows, now))
            return result

    # -- internals --------------------------------------------------------------------

    def _describe(
        self,
        tg: TargetGroup,
        registration: _Registration,
        rows: dict[str, ServerStats],
        now: float,
    ) -> TargetHealth:
        target = registration.target
        row = rows.get(target.server)
        if row is None:
            return TargetHealth(
                target.target_id,
                target.port,
                TargetHealthState.UNAVAILABLE,
                TargetHealthReason.INTERNAL_ERROR,
                f"HAProxy has no server {tg.backend}/{target.server}",
            )
        draining = registration.draining_since is not None
        if not registration.passed_once and not draining and check_passed(row):
            self.api.expect(f"set server {tg.backend}/{target.server} weight 1")
            registration.passed_once = True
        state, reason, description = target_state(
            row, tg.health_check, draining=draining, passed_once=registration.passed_once
        )
        if state in _WORKING_STATES and not registration.fail_open_armed:
            self.api.expect(f"enable server {tg.backend}/{target.fail_open_server}")
            registration.fail_open_armed = True
        return TargetHealth(target.target_id, target.port, state, reason, description)

    def _remove_server(self, backend: str, server: str) -> None:
        self.api.expect(f"set server {backend}/{server} state maint")
        self.api.worker(f"shutdown sessions server {backend}/{server}")
        for _ in range(20):
            if self.api.worker(f"del server {backend}/{server}").strip() == _DELETED:
                return
            time.sleep(0.05)
        # In maintenance it takes no traffic; delete it later, once its connections close.
        self._undeleted.add((backend, server))

    def _retry_deletes(self) -> None:
        for backend, server in list(self._undeleted):
            if self.api.worker(f"del server {backend}/{server}").strip() == _DELETED:
                self._undeleted.discard((backend, server))

    def _group(self, name: str) -> TargetGroup:
        try:
            return self._groups[name]
        except KeyError:
            raise TargetGroupNotFoundError(f"target group {name!r} does not exist") from None

    def _registration(self, target_group: str, target_id: str) -> _Registration:
        try:
            return self._targets[target_group][target_id]
        except KeyError:
            raise InvalidTargetError(
                f"target {target_id!r} is not registered in {target_group!r}"
            ) from None

    def _reload(self) -> None:
        """Write config + saved server states, reload, wait for the new worker to serve."""
        servers = {
            name: [
                TargetServerState(r.target, r.fail_open_armed, r.passed_once) for r in regs.values()
            ]
            for name, regs in self._targets.items()
        }
        config = render_config(self._groups.values(), self._listeners, servers, self.settings)
        old_pid, old_failures = _current_worker(self.api.master("show proc"))
        saved_states = self.api.show("show servers state")
        self.sink.write({"haproxy.cfg": config, "servers.state": saved_states})
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
