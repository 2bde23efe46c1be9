"""HAProxy's names and units: milliseconds, server names, defaults.

The ELBv2 validation these tests once held (bad paths, matchers, thresholds, names)
is the control plane's now: ``tests/ecs/control_plane/elbv2/test_validation.py``.
"""

from __future__ import annotations

from harness.ecs.haproxy.model import Backend, Check, Server, to_ms


def test_defaults_are_albs() -> None:
    check = Check()
    assert (check.inter_s, check.timeout_s, check.fall, check.expect_status) == (
        30.0,
        5.0,
        2,
        "200",
    )
    assert Backend("web").drain_s == 300.0
    assert Backend("web").proxy_name == "tg-web"


def test_sub_second_intervals_become_milliseconds() -> None:
    check = Check(inter_s=0.3, timeout_s=0.0004)
    assert (check.inter_ms, check.timeout_ms) == (300, 1)
    assert to_ms(0.0) == 1


def test_server_ids_become_safe_server_names() -> None:
    server = Server("arn:aws:ecs:task/abc 1", "10.0.0.2", 80)
    assert server.name == "t-arn_aws_ecs_task_abc_1"
    assert server.fail_open_name == "t-arn_aws_ecs_task_abc_1-fo"
