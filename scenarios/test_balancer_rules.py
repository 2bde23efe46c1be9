"""Listener rules on a real HAProxy: path, host and header routing, weights changed live.

Same stack as ``test_balancer_haproxy`` (HAProxy + three tiny named targets on a private
network, driven from the host): two backends, ``blue`` (target a) and ``green`` (target
b), behind listener 8081 with rules translated from ELBv2 conditions by the emulator's
own translation (:func:`~harness.ecs.emulator.haproxy_backends.match_of`).
"""

from __future__ import annotations

import csv
import io
import threading
import time
from collections import Counter
from typing import Any

import pytest
import requests

from harness.ecs.control_plane.elbv2.rules import (
    HOST_HEADER,
    HTTP_HEADER,
    PATH_PATTERN,
    Condition,
)
from harness.ecs.emulator.haproxy_backends import match_of
from harness.ecs.haproxy import Backend, Server
from harness.ecs.haproxy.routing import Frontend, Route
from scenarios.test_balancer_haproxy import APP_PORT, FAST, _wait, stack  # noqa: F401

pytestmark = [pytest.mark.docker, pytest.mark.timeout(300)]

PORT = 8081
#: Requests per measured step: >= 2,000 as the target says; 4,000 keeps a random miss of
#: 3 points at 50/50 (3.8 standard deviations) out of CI's way.
STEP_REQUESTS = 4000


def frontend(weights: tuple[int, int]) -> Frontend:
    def route(condition: Condition) -> Route:
        return Route((match_of(condition),), ("green",), (1,))

    return Frontend(
        PORT,
        (
            route(Condition(PATH_PATTERN, ("/v2/*",))),
            route(Condition(HOST_HEADER, ("*.green.example.COM",))),
            route(Condition(HTTP_HEADER, ("can?ry",), header="X-Variant")),
            Route((), ("blue", "green"), weights),
        ),
    )


def worker_pid(api: Any) -> str:
    lines = api.master("show proc").splitlines()
    section = ""
    for line in lines:
        if line.startswith("#"):
            section = line
        elif "workers" in section and line.split()[1:3] == ["worker", "0"]:
            return line.split()[0]
    raise AssertionError(f"no current worker in {lines}")


@pytest.fixture(scope="module")
def routed(stack: dict[str, Any]) -> dict[str, Any]:  # noqa: F811
    balancer, ip = stack["balancer"], stack["ip"]
    for name, target in (("blue", "a"), ("green", "b")):
        balancer.add_backend(Backend(name, FAST, drain_s=1))
        balancer.add_server(name, Server(f"task-{target}", ip[target], APP_PORT))
    balancer.set_frontend(frontend((90, 10)))

    def healthy() -> bool:
        return all(
            h.state.value == "healthy"
            for name in ("blue", "green")
            for h in balancer.server_health(name)
        )

    _wait(healthy, "both targets healthy")
    return stack


def test_path_host_and_header_conditions_route_like_alb(routed: dict[str, Any]) -> None:
    url, session = routed["url"][PORT], requests.Session()

    def served(path: str = "/", **headers: str) -> set[str]:
        return {session.get(url + path, headers=headers, timeout=5).text for _ in range(20)}

    assert served("/v2/predict") == {"b"}
    # the default route is 90/10: 20 requests all to green would be a 1e-20 fluke
    assert "a" in served("/V2/predict"), "path patterns are case sensitive"
    assert "a" in served("/v2"), "'/v2/*' needs the slash"
    assert "a" in served("/x?y=/v2/z"), "the query string is not the path"
    assert served(Host="api.GREEN.example.com:8081") == {"b"}, "host: no case, no port"
    assert "a" in served(Host="green.example.com"), "'*.' needs a label before it"
    assert served(**{"x-variant": "CANARY"}) == {"b"}, "header name and value: no case"
    assert "a" in served(**{"X-Variant": "canaries"}), "'?' is exactly one character"


def share(url: str, count: int) -> tuple[float, list[str]]:
    """Share of green over ``count`` requests on fresh connections (bounded)."""
    names: Counter[str] = Counter()
    failures: list[str] = []
    with requests.Session() as session:
        for _ in range(count):
            answer = session.get(url + "/", timeout=5)
            if answer.status_code == 200:
                names[answer.text] += 1
            else:
                failures.append(str(answer.status_code))
    return names["b"] / max(1, sum(names.values())), failures


def test_weights_hold_within_three_points_and_shift_live(routed: dict[str, Any]) -> None:
    balancer, api, url = routed["balancer"], routed["api"], routed["url"][PORT]
    before, failures = share(url, STEP_REQUESTS)
    assert not failures and abs(before - 0.10) <= 0.03, before
    pid = worker_pid(api)

    stop, load_failures, served = threading.Event(), [], Counter()

    def steady_load() -> None:
        """Bounded (<= 3,000 requests, <= 60 s) traffic that must never fail."""
        deadline = time.monotonic() + 60
        with requests.Session() as client:
            for _ in range(3000):
                if stop.is_set() or time.monotonic() > deadline:
                    return
                try:
                    answer = client.get(url + "/", timeout=5)
                    if answer.status_code != 200:
                        load_failures.append(str(answer.status_code))
                    served[answer.text] += 1
                except requests.RequestException as exc:
                    load_failures.append(repr(exc))

    load = threading.Thread(target=steady_load)
    load.start()
    try:
        for weights in ((70, 30), (50, 50), (0, 1), (50, 50)):
            balancer.set_frontend(frontend(weights))
            time.sleep(0.3)
    finally:
        stop.set()
        load.join()
    assert not load_failures, load_failures[:5]
    assert worker_pid(api) == pid, "a weight change must not reload HAProxy"
    green, failures = share(url, STEP_REQUESTS)
    assert not failures and abs(green - 0.50) <= 0.03, green
    print(
        f"\ngreen's share over {STEP_REQUESTS} requests: {before:.3f} at 90/10,"
        f" {green:.3f} at 50/50 (set live); steady load during the shifts {dict(served)}, 0 failed"
    )


def _rows(api: Any, proxy: str) -> dict[str, dict[str, str]]:
    """``show stat`` rows of one proxy by svname (FRONTEND, BACKEND, servers)."""
    text = api.show("show stat").lstrip().removeprefix("# ")
    return {
        row["svname"]: row for row in csv.DictReader(io.StringIO(text)) if row["pxname"] == proxy
    }


def test_haproxys_own_503_is_the_load_balancers_not_the_target_groups(
    routed: dict[str, Any],
) -> None:
    """A rule to a target group with no target: HAProxy answers 503 itself.

    The frontend counts it, and so does the target group's BACKEND row (HAProxy's
    ``hrsp_5xx`` there includes its own answers), but none of its server rows: a
    target group's target 5xx is the sum of its server rows, the load balancer's own
    5xx is the frontend's minus what servers answered."""
    balancer, api, url = routed["balancer"], routed["api"], routed["url"][PORT]
    balancer.add_backend(Backend("empty", FAST, drain_s=1))
    empty = Route((match_of(Condition(HTTP_HEADER, ("yes",), header="X-Empty")),), ("empty",), (1,))
    balancer.set_frontend(Frontend(PORT, (empty, *frontend((90, 10)).routes)))
    before = _rows(api, f"listener-{PORT}")["FRONTEND"]
    answers = [requests.get(url + "/", headers={"X-Empty": "yes"}, timeout=5) for _ in range(5)]
    assert [a.status_code for a in answers] == [503] * 5
    after = _rows(api, f"listener-{PORT}")["FRONTEND"]
    assert int(after["hrsp_5xx"]) - int(before["hrsp_5xx"]) == 5
    group = _rows(api, "tg-empty")
    servers = {name: row for name, row in group.items() if name not in ("FRONTEND", "BACKEND")}
    assert servers == {} or all(int(r["hrsp_5xx"] or 0) == 0 for r in servers.values())
    assert int(group["BACKEND"]["hrsp_5xx"]) == 5  # the backend row includes HAProxy's own
    assert "b" in {requests.get(url + "/v2/x", timeout=5).text}  # other rules unaffected
