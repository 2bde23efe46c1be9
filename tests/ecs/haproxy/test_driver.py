"""HaproxyDriver against a scripted Runtime API: which commands, in which order."""

from __future__ import annotations

import pytest

from harness.ecs.control_plane.elbv2.target_health import TargetHealthState
from harness.ecs.haproxy.driver import HaproxyDriver
from harness.ecs.haproxy.errors import RuntimeApiError, ServerStateError, UnknownBackendError
from harness.ecs.haproxy.model import Backend, Check, Server

HEADER = "# pxname,svname,scur,status,weight,chkdown,check_status,check_code,bck\n"


class ScriptedApi:
    """Answers like HAProxy 2.6; ``stat`` is the next ``show stat`` body."""

    def __init__(self) -> None:
        self.commands: list[str] = []
        self.stat = HEADER
        self.pid = 10
        self.failed_reloads = 0
        self.reject_reload = False

    def master(self, command: str) -> str:
        self.commands.append(command)
        if command == "reload":
            if self.reject_reload:
                self.failed_reloads += 1
            else:
                self.pid += 1
            return ""
        return (
            "#<PID> <type> <reloads> <uptime> <version>\n"
            f"1 master 0 [failed: {self.failed_reloads}] 0d 2.6.12\n"
            "# workers\n"
            f"{self.pid} worker 0 0d 2.6.12\n"
        )

    def worker(self, command: str) -> str:
        self.commands.append(command)
        if command.startswith("add server"):
            return "New server registered.\n"
        if command.startswith("del server"):
            return "Server deleted.\n"
        if command.startswith("show stat"):
            return self.stat
        return ""

    def show(self, command: str) -> str:
        return self.worker(command)

    def expect(self, command: str, ok: str = "") -> None:
        answer = self.worker(command).strip()
        if answer != ok:
            raise RuntimeApiError(answer)


class Sink:
    def __init__(self) -> None:
        self.files: dict[str, str] = {}

    def write(self, files: dict[str, str]) -> None:
        self.files.update(files)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


Parts = tuple[HaproxyDriver, ScriptedApi, Sink, Clock]


@pytest.fixture
def parts() -> Parts:
    api, sink, clock = ScriptedApi(), Sink(), Clock()
    driver = HaproxyDriver(api, sink, clock=clock)  # type: ignore[arg-type]
    hc = Check(inter_s=1.0, timeout_s=0.5)
    driver.add_backend(Backend("web", hc, drain_s=5))
    driver.bind_frontend(8080, "web")
    api.commands.clear()
    return driver, api, sink, clock


def test_backend_and_frontend_are_applied_by_reload(parts: Parts) -> None:
    _, api, sink, _ = parts
    assert "backend tg-web" in sink.files["haproxy.cfg"]
    assert "bind :8080" in sink.files["haproxy.cfg"]
    assert "servers.state" in sink.files
    assert api.pid == 12


def test_a_rejected_config_is_reported(parts: Parts) -> None:
    driver, api, _, _ = parts
    api.reject_reload = True
    with pytest.raises(RuntimeApiError, match="rejected"):
        driver.add_backend(Backend("other"))


def test_register_never_lets_an_unchecked_server_take_traffic(parts: Parts) -> None:
    driver, api, _, _ = parts
    driver.add_server("web", Server("task-1", "172.18.0.5", 8000))
    assert api.commands == [
        "add server tg-web/t-task-1 172.18.0.5:8000 check inter 1000ms rise 1 fall 2 weight 0",
        "enable health tg-web/t-task-1",
        "enable server tg-web/t-task-1",
        "set server tg-web/t-task-1 health up",
        "add server tg-web/t-task-1-fo 172.18.0.5:8000 backup",
    ]
    driver.add_server("web", Server("task-1", "172.18.0.5", 8000))  # idempotent
    assert len(api.commands) == 5
    with pytest.raises(ServerStateError):
        driver.add_server("web", Server("task-1", "172.18.0.9", 8000))
    with pytest.raises(UnknownBackendError):
        driver.add_server("nope", Server("task-1", "172.18.0.5", 8000))


def test_fail_open_twin_is_armed_only_after_initial(parts: Parts) -> None:
    driver, api, _, _ = parts
    driver.add_server("web", Server("task-1", "172.18.0.5", 8000))
    api.stat = HEADER + "tg-web,t-task-1,0,UP,0,0,INI,,0\ntg-web,t-task-1-fo,0,MAINT,1,,,,1\n"
    assert driver.server_health("web")[0].state is TargetHealthState.INITIAL
    assert "enable server tg-web/t-task-1-fo" not in api.commands
    api.stat = HEADER + "tg-web,t-task-1,0,UP,0,0,L7OK,200,0\ntg-web,t-task-1-fo,0,MAINT,1,,,,1\n"
    assert driver.server_health("web")[0].state is TargetHealthState.HEALTHY
    driver.server_health("web")
    assert api.commands.count("enable server tg-web/t-task-1-fo") == 1
    assert api.commands.count("set server tg-web/t-task-1 weight 1") == 1


def test_initial_to_unhealthy_counts_failed_checks_not_elapsed_time(parts: Parts) -> None:
    """Regression: a target whose checks run late (busy machine) stayed ``initial`` only
    for ``unhealthy_threshold x interval`` seconds, then was called unhealthy after ONE
    failed check, while the check that would have passed was still running."""
    driver, api, _, clock = parts
    driver.add_server("web", Server("task-1", "172.18.0.5", 8000))
    # First check refused (the app is still loading); HAProxy counted 1 of fall=2.
    api.stat = HEADER + "tg-web,t-task-1,0,UP 1/2,0,0,L4CON,,0\n"
    clock.now += 60.0  # far past 2 x 1 s: time alone must not decide
    (health,) = driver.server_health("web")
    assert health.state is TargetHealthState.INITIAL
    assert "set server tg-web/t-task-1 weight 1" not in api.commands
    # The late second check passes: healthy after one pass, and only now takes traffic.
    api.stat = HEADER + "tg-web,t-task-1,0,UP,0,0,* L7OK,200,0\n"
    assert driver.server_health("web")[0].state is TargetHealthState.HEALTHY
    assert "set server tg-web/t-task-1 weight 1" in api.commands
    # A later failure under the threshold keeps it healthy, as on ALB.
    api.stat = HEADER + "tg-web,t-task-1,0,UP 1/2,1,0,L7STS,503,0\n"
    assert driver.server_health("web")[0].state is TargetHealthState.HEALTHY


def test_unhealthy_from_initial_once_haproxy_counted_the_threshold(parts: Parts) -> None:
    driver, api, _, _ = parts
    driver.add_server("web", Server("task-1", "172.18.0.5", 8000))
    api.stat = HEADER + "tg-web,t-task-1,0,DOWN,0,1,L7STS,503,0\n"
    (health,) = driver.server_health("web")
    assert health.state is TargetHealthState.UNHEALTHY
    assert health.description == "Health checks failed with these codes: [503]"
    assert "set server tg-web/t-task-1 weight 1" not in api.commands


def test_reload_keeps_an_unchecked_target_without_weight(parts: Parts) -> None:
    driver, api, sink, _ = parts
    driver.add_server("web", Server("task-1", "172.18.0.5", 8000))
    driver.add_server("web", Server("task-2", "172.18.0.6", 8000))
    api.stat = HEADER + "tg-web,t-task-2,0,UP,0,0,L7OK,200,0\n"
    driver.server_health("web")
    driver.bind_frontend(80, "web")
    config = sink.files["haproxy.cfg"]
    assert "server t-task-1 172.18.0.5:8000 check inter 1000ms rise 1 fall 2 weight 0\n" in config
    assert "server t-task-2 172.18.0.6:8000 check inter 1000ms rise 1 fall 2\n" in config


def test_drain_then_removal_after_the_deregistration_delay(parts: Parts) -> None:
    driver, api, _, clock = parts
    driver.add_server("web", Server("task-1", "172.18.0.5", 8000))
    api.commands.clear()
    driver.drain_server("web", "task-1")
    assert api.commands == [
        "set server tg-web/t-task-1 state drain",
        "set server tg-web/t-task-1-fo state drain",
    ]
    api.stat = HEADER + "tg-web,t-task-1,1,DRAIN,1,1,L7OK,200,0\n"
    assert driver.server_health("web")[0].state is TargetHealthState.DRAINING
    clock.now += 4.9
    assert not driver.drain_finished("web", "task-1")
    clock.now += 0.1
    assert driver.drain_finished("web", "task-1")
    assert "del server tg-web/t-task-1" in api.commands
    assert "del server tg-web/t-task-1-fo" in api.commands
    assert driver.server_health("web") == []
    assert driver.drain_finished("web", "task-1")


def test_drain_finished_needs_a_drain(parts: Parts) -> None:
    driver, _, _, _ = parts
    driver.add_server("web", Server("task-1", "172.18.0.5", 8000))
    with pytest.raises(ServerStateError, match="not draining"):
        driver.drain_finished("web", "task-1")


def test_server_lost_by_haproxy_is_reported_unavailable(parts: Parts) -> None:
    driver, _, _, _ = parts
    driver.add_server("web", Server("task-1", "172.18.0.5", 8000))
    (health,) = driver.server_health("web")
    assert health.state is TargetHealthState.UNAVAILABLE


def test_update_backend_applies_the_drain_time_at_once_and_reloads_for_checks(
    parts: Parts,
) -> None:
    driver, api, _, clock = parts
    driver.add_server("web", Server("task-1", "172.18.0.5", 8000))
    driver.drain_server("web", "task-1")
    api.commands.clear()
    hc = Check(inter_s=1.0, timeout_s=0.5)
    driver.update_backend(Backend("web", hc, drain_s=1))
    assert "reload" not in api.commands  # the drain time is the driver's own timer
    clock.now += 1.0
    assert driver.drain_finished("web", "task-1")
    driver.update_backend(Backend("web", Check("/ready", 1.0, 0.5), 1))
    assert "reload" in api.commands
    with pytest.raises(UnknownBackendError):
        driver.update_backend(Backend("nope"))


class RunningHaproxyApi(ScriptedApi):
    """An HAProxy a previous emulator drove: backend ``tg-web`` with two targets' servers
    and the listener on 8080, as ``show backend`` and ``show stat`` report them."""

    def __init__(self) -> None:
        super().__init__()
        self.stat = HEADER + (
            "tg-web,t-task-1,3,UP,1,0,L7OK,200,0\n"
            "tg-web,t-task-1-fo,0,UP,1,,,,1\n"
            "tg-web,t-task-9,0,UP,1,0,L7OK,200,0\n"
            "tg-web,t-task-9-fo,0,MAINT,1,,,,1\n"
        )

    def worker(self, command: str) -> str:
        if command == "show backend":
            self.commands.append(command)
            return "# name\ntg-web\nstats\n"
        if command == "show stat -1 1 -1":
            self.commands.append(command)
            return HEADER + "listener-8080,FRONTEND,0,OPEN,,,,,\n"
        return super().worker(command)


def test_resume_takes_over_a_running_haproxy_without_a_reload() -> None:
    """After an emulator restart: the adopted target keeps serving, the other goes."""
    api, sink, clock = RunningHaproxyApi(), Sink(), Clock()
    driver = HaproxyDriver(api, sink, clock=clock)  # type: ignore[arg-type]
    web = Backend("web", Check(inter_s=1.0, timeout_s=0.5))
    adopted = Server("task-1", "172.18.0.5", 8000)

    resumed = driver.resume([web, Backend("gone")], {8080: "web", 9090: "gone"}, {"web": [adopted]})

    assert resumed == {"web"}, "only a backend HAProxy serves is resumed"
    assert "reload" not in api.commands and sink.files == {}, "no reload, no new config"
    assert not any("t-task-1" in c for c in api.commands if not c.startswith("show"))
    for server in ("t-task-9", "t-task-9-fo"):  # not adopted: out of HAProxy
        assert f"set server tg-web/{server} state maint" in api.commands
        assert f"del server tg-web/{server}" in api.commands
    api.stat = HEADER + "tg-web,t-task-1,3,UP,1,0,L7OK,200,0\ntg-web,t-task-1-fo,0,UP,1,,,,1\n"
    (health,) = driver.server_health("web")
    assert (health.server_id, health.state) == ("task-1", TargetHealthState.HEALTHY)
    api.commands.clear()
    driver.add_server("web", Server("task-1", "172.18.0.5", 8000))  # as the scheduler will
    assert not any(c.startswith("add server") for c in api.commands), "already registered"
    driver.bind_frontend(8080, "web")
    assert "reload" not in api.commands, "the resumed listener is already bound"
