"""The one translation from ELBv2 (AWS seconds) to HAProxy (wall seconds)."""

from __future__ import annotations

import pytest

from harness.ecs.control_plane.elbv2.model import HealthCheck, Listener, TargetGroup
from harness.ecs.emulator.haproxy_backends import (
    MIN_CHECK_TIMEOUT_S,
    backend_of,
    frontends_of,
    server_of,
)
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
        return Listener(f"arn:l/{port}", "arn:lb", port, "HTTP", [{"TargetGroupArn": arn}])

    listeners = [forward(80, web.arn), forward(8080, api.arn)]
    assert frontends_of(listeners, backends) == {80: "web"}


def test_a_task_container_becomes_a_server_named_by_task_id() -> None:
    server = server_of("arn:aws:ecs:us-east-1:1:task/c/abc123", "172.18.0.5", 8000)
    assert (server.id, server.ip, server.port) == ("abc123", "172.18.0.5", 8000)
    assert server.name == "t-abc123"
