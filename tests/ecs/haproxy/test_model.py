"""Target group settings are validated with the limits ALB documents."""

from __future__ import annotations

import pytest

from harness.ecs.haproxy.errors import InvalidConfigurationRequestError
from harness.ecs.haproxy.model import HealthCheck, Target, TargetGroup, to_ms


def test_defaults_are_albs() -> None:
    hc = HealthCheck()
    assert (hc.interval_s, hc.timeout_s, hc.healthy_threshold, hc.unhealthy_threshold) == (
        30.0,
        5.0,
        5,
        2,
    )
    assert TargetGroup("web").deregistration_delay_s == 300.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"path": "health"},
        {"path": "/a b"},
        {"interval_s": 1.0, "timeout_s": 1.0},
        {"healthy_threshold": 1},
        {"unhealthy_threshold": 11},
        {"matcher": "2xx"},
    ],
)
def test_bad_health_checks_are_refused_with_a_reason(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidConfigurationRequestError):
        HealthCheck(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["", "a" * 33, "web tier", "web/1"])
def test_bad_target_group_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidConfigurationRequestError):
        TargetGroup(name)


def test_sub_second_intervals_become_milliseconds() -> None:
    hc = HealthCheck(interval_s=0.3, timeout_s=0.0004)
    assert (hc.interval_ms, hc.timeout_ms) == (300, 1)
    assert to_ms(0.0) == 1


def test_target_ids_become_safe_server_names() -> None:
    target = Target("arn:aws:ecs:task/abc 1", "10.0.0.2", 80)
    assert target.server == "t-arn_aws_ecs_task_abc_1"
    assert target.fail_open_server == "t-arn_aws_ecs_task_abc_1-fo"
