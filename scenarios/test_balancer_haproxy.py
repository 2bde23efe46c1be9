"""The ALB stand-in on a real HAProxy: health, fail-open and draining, end to end.

Builds the HAProxy image from the Debian base, runs it and three tiny HTTP targets on a
private docker network, and drives it through ``HaproxyDriver`` from the host over the
Runtime API published on 127.0.0.1 (the emulator-on-the-host case).
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from harness.docker_engine import docker_client
from harness.ecs.control_plane.elbv2.target_health import TargetHealthReason, TargetHealthState
from harness.ecs.haproxy import (
    RUNTIME_API_PORT,
    Backend,
    Check,
    DockerConfigSink,
    HaproxyDriver,
    RuntimeApiAddress,
    RuntimeApiClient,
    Server,
)
from harness.ecs.haproxy.stats import parse_show_stat
from harness.images.resolver import ImageResolver
from harness.settings import DrydockSettings

pytestmark = [pytest.mark.docker, pytest.mark.timeout(180)]

IMAGE_DIR = Path(__file__).resolve().parents[1] / "docker" / "haproxy"
LISTENER_PORTS = (8080, 8081)
APP_PORT = 8000
# A target: "/" answers its name, "/slow?s=N" after N seconds, "/health" 500 once sick.
APP = """
import http.server, os, socketserver, time, urllib.parse
NAME = os.environ["NAME"]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        url = urllib.parse.urlparse(self.path)
        if url.path == "/slow":
            time.sleep(float(urllib.parse.parse_qs(url.query)["s"][0]))
        sick = url.path == "/health" and os.path.exists("/tmp/sick")
        body = NAME.encode()
        self.send_response(500 if sick else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_POST = do_GET
    def log_message(self, *args):
        pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
S(("0.0.0.0", 8000), H).serve_forever()
"""
FAST = Check(path="/health", inter_s=0.3, timeout_s=0.2, fall=2)


def _base_image() -> str:
    """The Python base the harness uses (upstream, or the debootstrap stand-in it builds)."""
    return ImageResolver(docker_client(), DrydockSettings()).base_ref()


@pytest.fixture(scope="module")
def stack() -> Iterator[dict[str, Any]]:
    """HAProxy + targets a, b, c on a fresh network; everything removed afterwards."""
    client = docker_client()
    suffix = uuid.uuid4().hex[:8]
    client.images.build(
        path=str(IMAGE_DIR),
        buildargs={"BASE_IMAGE": _base_image()},
        tag="drydock/haproxy:test",
        forcerm=True,
    )
    base = _base_image()
    containers: list[Any] = []
    network = client.networks.create(f"drydock-balancer-test-{suffix}", driver="bridge")
    try:
        ports = {f"{p}/tcp": ("127.0.0.1", None) for p in (RUNTIME_API_PORT, *LISTENER_PORTS)}
        lb = client.containers.run(
            "drydock/haproxy:test",
            name=f"drydock-balancer-test-lb-{suffix}",
            network=network.name,
            ports=ports,
            detach=True,
        )
        containers.append(lb)
        targets = {}
        for name in ("a", "b", "c"):
            container = client.containers.run(
                base,
                ["python3", "-c", APP],
                name=f"drydock-balancer-test-{name}-{suffix}",
                environment={"NAME": name},
                network=network.name,
                detach=True,
            )
            containers.append(container)
            targets[name] = container
        lb.reload()
        published = {
            int(key.split("/")[0]): int(value[0]["HostPort"])
            for key, value in lb.attrs["NetworkSettings"]["Ports"].items()
            if value
        }
        api = RuntimeApiClient(RuntimeApiAddress("127.0.0.1", published[RUNTIME_API_PORT]))
        _wait(lambda: "HAProxy" in api.worker("show info"), "runtime API")
        for container in targets.values():
            container.reload()
        yield {
            "lb_name": lb.name,
            "balancer": HaproxyDriver(api, DockerConfigSink(lb)),
            "api": api,
            "url": {p: f"http://127.0.0.1:{published[p]}" for p in LISTENER_PORTS},
            "ip": {
                n: c.attrs["NetworkSettings"]["Networks"][network.name]["IPAddress"]
                for n, c in targets.items()
            },
            "targets": targets,
        }
    finally:
        for container in containers:
            with contextlib.suppress(Exception):
                container.remove(force=True)
        with contextlib.suppress(Exception):
            network.remove()


def _wait(condition: Callable[[], bool], what: str, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if condition():
                return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _states(balancer: HaproxyDriver, backend: str) -> dict[str, TargetHealthState]:
    return {h.server_id: h.state for h in balancer.server_health(backend)}


def _names(session: requests.Session, url: str, count: int = 12) -> list[str]:
    answers = [session.get(url + "/", timeout=5) for _ in range(count)]
    assert all(r.status_code == 200 for r in answers), [r.status_code for r in answers]
    return [r.text for r in answers]


def _sick(container: Any, sick: bool) -> None:
    container.exec_run(["sh", "-c", "touch /tmp/sick" if sick else "rm -f /tmp/sick"])


def test_health_gates_traffic_and_all_unhealthy_fails_open(stack: dict[str, Any]) -> None:
    balancer, ip, url = stack["balancer"], stack["ip"], stack["url"][8080]
    balancer.add_backend(Backend("web", FAST, drain_s=1))
    balancer.bind_frontend(8080, "web")
    balancer.add_server("web", Server("task-a", ip["a"], APP_PORT))
    first = balancer.server_health("web")[0]
    assert first.state is TargetHealthState.INITIAL
    _wait(lambda: _states(balancer, "web") == {"task-a": TargetHealthState.HEALTHY}, "a healthy")

    balancer.add_server("web", Server("task-b", ip["b"], APP_PORT))
    _wait(lambda: set(_states(balancer, "web").values()) == {TargetHealthState.HEALTHY}, "b")
    session = requests.Session()
    assert set(_names(session, url)) == {"a", "b"}

    _sick(stack["targets"]["b"], True)
    _wait(lambda: _states(balancer, "web")["task-b"] is TargetHealthState.UNHEALTHY, "b down")
    (b_health,) = [h for h in balancer.server_health("web") if h.server_id == "task-b"]
    assert b_health.reason is TargetHealthReason.RESPONSE_CODE_MISMATCH
    assert "500" in b_health.description
    assert set(_names(session, url)) == {"a"}

    _sick(stack["targets"]["a"], True)
    _wait(
        lambda: set(_states(balancer, "web").values()) == {TargetHealthState.UNHEALTHY},
        "all unhealthy",
    )
    assert set(_names(session, url)) == {"a", "b"}, "every target unhealthy: fail open to all"

    _sick(stack["targets"]["a"], False)
    _sick(stack["targets"]["b"], False)
    _wait(lambda: set(_states(balancer, "web").values()) == {TargetHealthState.HEALTHY}, "heal")


def test_draining_finishes_in_flight_and_sends_new_requests_elsewhere(
    stack: dict[str, Any],
) -> None:
    balancer, ip, url = stack["balancer"], stack["ip"], stack["url"][8081]
    balancer.add_backend(Backend("api", FAST, drain_s=3))
    balancer.bind_frontend(8081, "api")
    balancer.add_server("api", Server("task-a", ip["a"], APP_PORT))
    balancer.add_server("api", Server("task-c", ip["c"], APP_PORT))
    _wait(lambda: set(_states(balancer, "api").values()) == {TargetHealthState.HEALTHY}, "up")
    session = requests.Session()  # one keep-alive client connection throughout
    assert set(_names(session, url)) == {"a", "c"}
    failures: list[str] = []
    served: list[str] = []
    stop = threading.Event()

    def steady_load() -> None:
        """Bounded client traffic (<= 400 requests, <= 15 s) that must never fail."""
        client, deadline = requests.Session(), time.monotonic() + 15
        for _ in range(400):
            if stop.is_set() or time.monotonic() > deadline:
                return
            try:
                answer = client.post(url + "/", json={"features": [1, 2]}, timeout=5)
                if answer.status_code != 200:
                    failures.append(str(answer.status_code))
                else:
                    served.append(answer.text)
            except requests.RequestException as exc:
                failures.append(repr(exc))
            time.sleep(0.02)

    load = threading.Thread(target=steady_load)

    slow: dict[str, requests.Response] = {}
    worker = threading.Thread(
        target=lambda: slow.update(r=requests.get(url + "/slow?s=2", timeout=10))
    )
    worker.start()
    busy: list[str] = []

    def find_busy() -> bool:
        rows = parse_show_stat(stack["api"].worker("show stat tg-api 4 -1"))
        busy[:] = [r.server for r in rows if r.current_sessions > 0]
        return len(busy) == 1

    # Find the slow request's target before the steady load starts: once it runs,
    # its short requests also show as current sessions and could be taken for it.
    _wait(find_busy, "the slow request to reach a target", timeout_s=2)
    load.start()
    draining_id = {"t-task-a": "task-a", "t-task-c": "task-c"}[busy[0]]
    draining_name = draining_id[-1]
    balancer.drain_server("api", draining_id)
    assert _states(balancer, "api")[draining_id] is TargetHealthState.DRAINING

    assert draining_name not in set(_names(session, url)), "no new requests while draining"
    assert not balancer.drain_finished("api", draining_id)
    worker.join(timeout=10)
    assert slow["r"].status_code == 200 and slow["r"].text == draining_name, "in-flight finished"

    _wait(lambda: balancer.drain_finished("api", draining_id), "draining complete", 6)
    assert draining_id not in _states(balancer, "api")
    stack["targets"][draining_name].stop(timeout=2)  # what the emulator does next
    assert draining_name not in set(_names(session, url))
    stop.set()
    load.join(timeout=20)
    assert failures == [], "a client saw errors during the drain and stop"
    assert len(served) > 50, "the load ran through the drain and the stop"


def test_runtime_api_answers_on_the_docker_network(stack: dict[str, Any]) -> None:
    """The emulator-in-a-container case: ``<haproxy container name>:9999``."""
    probe = (
        "import socket, sys\n"
        f"s = socket.create_connection(({stack['lb_name']!r}, {RUNTIME_API_PORT}), timeout=5)\n"
        "s.sendall(b'@1 show info\\n'); s.shutdown(socket.SHUT_WR)\n"
        "sys.stdout.write(s.makefile().read())\n"
    )
    for _ in range(3):  # the rare empty answer that RuntimeApiClient.show also retries
        code, output = stack["targets"]["b"].exec_run(["python3", "-c", probe])
        if b"Name: HAProxy" in output:
            break
    assert code == 0 and b"Name: HAProxy" in output, output
