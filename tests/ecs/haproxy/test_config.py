"""haproxy.cfg rendering: the choices documented in harness.ecs.haproxy.config."""

from __future__ import annotations

from pathlib import Path

from harness.ecs.haproxy.config import ProxySettings, expect_regex, render_config
from harness.ecs.haproxy.model import Backend, Check, Server, ServerState

ROOT = Path(__file__).resolve().parents[3]


def test_image_bootstrap_config_is_the_empty_rendering() -> None:
    assert (ROOT / "docker/haproxy/haproxy.cfg").read_text() == render_config([], {})


def test_matcher_becomes_anchored_regex() -> None:
    assert expect_regex("200") == "^(200)$"
    assert expect_regex("200,202") == "^(200|202)$"
    assert expect_regex("200-202,204") == "^(200|201|202|204)$"


def test_backend_carries_health_check_retries_and_fail_open() -> None:
    hc = Check(path="/ping", inter_s=0.3, timeout_s=0.05, fall=3)
    cfg = render_config([Backend("web", hc)], {8080: "web"})
    assert "frontend listener-8080\n    bind :8080\n    default_backend tg-web" in cfg
    for line in (
        "backend tg-web",
        "balance roundrobin",
        "option allbackups",
        "http-check send meth GET uri /ping ver HTTP/1.1 hdr Host drydock-alb",
        "http-check expect rstatus ^(200)$",
        "timeout check 50ms",
        "retry-on conn-failure",
        "option redispatch 1",
        "option http-server-close",
        "master-worker",
        "load-server-state-from-file global",
    ):
        assert line in cfg, line


def test_idle_timeout_is_albs_by_default_and_scaled_when_asked() -> None:
    assert "timeout http-keep-alive 60000ms" in render_config([], {})
    scaled = render_config([], {}, settings=ProxySettings(idle_timeout_s=0.6))
    assert "timeout client 600ms" in scaled and "timeout http-keep-alive 600ms" in scaled


def test_a_reload_keeps_idle_keep_alive_connections_until_their_next_answer() -> None:
    # HAProxy >= 2.4 closes idle client connections at once on a soft stop; the option
    # answers their next request with "Connection: close" instead, bounded in time
    cfg = render_config([], {}, settings=ProxySettings(idle_timeout_s=3.0, connect_timeout_s=0.5))
    assert "\n    option idle-close-on-response\n" in cfg.split("defaults", 1)[1]
    assert "\n    hard-stop-after 6500ms\n" in cfg.split("defaults", 1)[0]


def test_retries_can_be_turned_off_for_a_strict_alb() -> None:
    cfg = render_config([Backend("web")], {}, settings=ProxySettings(retries=0))
    assert "retries 0" in cfg and "retry-on" not in cfg


def test_registered_targets_survive_a_reload_as_static_servers() -> None:
    hc = Check(inter_s=0.5, timeout_s=0.1)
    servers = {
        "web": [
            ServerState(Server("task-1", "172.18.0.5", 8000), True, passed_once=True),
            ServerState(Server("task-2", "172.18.0.6", 8000), False, passed_once=True),
        ]
    }
    cfg = render_config([Backend("web", hc)], {}, servers)
    assert "server t-task-1 172.18.0.5:8000 check inter 500ms rise 1 fall 2\n" in cfg
    assert "server t-task-1-fo 172.18.0.5:8000 backup\n" in cfg
    assert "server t-task-2-fo 172.18.0.6:8000 backup disabled\n" in cfg
