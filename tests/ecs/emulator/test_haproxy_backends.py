"""The one translation from ELBv2 (AWS seconds) to HAProxy (wall seconds)."""

from __future__ import annotations

import pytest

from harness.ecs.control_plane.elbv2.model import HealthCheck, Listener, TargetGroup
from harness.ecs.control_plane.elbv2.rules import (
    HTTP_HEADER,
    PATH_PATTERN,
    Condition,
    Rule,
    forward_action,
    wildcard_regex,
)
from harness.ecs.emulator.haproxy_backends import (
    MIN_CHECK_TIMEOUT_S,
    backend_of,
    frontends_of,
    server_of,
)
from harness.ecs.haproxy.routing import single
from harness.time_scale import TimeScale


def _group(name: str = "web", **health: object) -> TargetGroup:
    return TargetGroup(
        name=name,
        arn=f"arn:tg/{name}",
        protocol="HTTP",
        port=80,
        vpc_id="vpc",
        target_type="ip",
        health_check=HealthCheck(interval_seconds=30, timeout_seconds=5, **health),  # type: ignore[arg-type]
    )


def test_scaled_health_check_keeps_a_realistic_timeout() -> None:
    group = _group()
    fast = backend_of(group, TimeScale(0.05))
    assert fast.check.inter_s == pytest.approx(1.5)
    assert fast.check.timeout_s == pytest.approx(MIN_CHECK_TIMEOUT_S)
    assert fast.drain_s == pytest.approx(15)
    tiny = backend_of(group, TimeScale(0.01))
    assert tiny.check.timeout_s < tiny.check.inter_s
    assert backend_of(group, TimeScale(1.0)).check.timeout_s == pytest.approx(5)


def test_the_health_check_becomes_the_backends_check() -> None:
    group = _group(path="/ready", unhealthy_threshold=3, matcher="200-299")
    group.attributes["deregistration_delay.timeout_seconds"] = "20"
    backend = backend_of(group, TimeScale(1.0))
    assert (backend.name, backend.proxy_name, backend.drain_s) == ("web", "tg-web", 20.0)
    assert (backend.check.path, backend.check.fall, backend.check.expect_status) == (
        "/ready",
        3,
        "200-299",
    )


def test_listeners_become_frontends_of_backends_already_there() -> None:
    web, api = _group("web"), _group("api")
    backends = {web.arn: backend_of(web, TimeScale())}

    def forward(port: int, arn: str) -> Listener:
        action = {"Type": "forward", "TargetGroupArn": arn}
        return Listener(f"arn:l/{port}", "arn:lb", port, "HTTP", [action])

    listeners = [forward(80, web.arn), forward(8080, api.arn)]
    assert frontends_of(listeners, backends) == {80: single(80, "web")}


def test_rules_become_routes_in_priority_order_the_default_last() -> None:
    blue, green = _group("blue"), _group("green")
    backends = {g.arn: backend_of(g, TimeScale()) for g in (blue, green)}
    listener = Listener(
        "arn:l/80", "arn:lb", 80, "HTTP", [forward_action({blue.arn: 90, green.arn: 10})]
    )
    header = Condition(HTTP_HEADER, ("canary",), header="X-Variant")
    path = Condition(PATH_PATTERN, ("/v2/*",))
    for priority, condition in ((20, path), (10, header)):
        listener.rules[f"r{priority}"] = Rule(
            f"r{priority}", listener.arn, priority, [condition], [forward_action({green.arn: 1})]
        )
    frontend = frontends_of([listener], backends)[80]
    assert [r.backends for r in frontend.routes] == [("green",), ("green",), ("blue", "green")]
    header_match, path_match = frontend.routes[0].matches[0], frontend.routes[1].matches[0]
    assert (header_match.part, header_match.header, header_match.ignore_case) == (
        "header",
        "X-Variant",
        True,
    )
    assert (path_match.part, path_match.ignore_case) == ("path", False)
    assert path_match.regexes == (wildcard_regex("/v2/*"),)
    assert frontend.routes[-1].weights == (90, 10) and frontend.routes[-1].matches == ()


def test_a_rule_to_a_group_without_backend_is_left_out() -> None:
    blue, green = _group("blue"), _group("green")
    backends = {blue.arn: backend_of(blue, TimeScale())}
    listener = Listener("arn:l/80", "arn:lb", 80, "HTTP", [forward_action({blue.arn: 1})])
    listener.rules["r"] = Rule(
        "r", listener.arn, 1, [Condition(PATH_PATTERN, ("/x",))], [forward_action({green.arn: 1})]
    )
    assert frontends_of([listener], backends)[80] == single(80, "blue")


def test_a_task_container_becomes_a_server_named_by_task_id() -> None:
    server = server_of("arn:aws:ecs:us-east-1:1:task/c/abc123", "172.18.0.5", 8000)
    assert (server.id, server.ip, server.port) == ("abc123", "172.18.0.5", 8000)
    assert server.name == "t-abc123"
