"""AWS's worked examples of maximumPercent (rounded down) and minimumHealthyPercent (up)."""

from __future__ import annotations

import pytest

from harness.ecs.domain import DeploymentConfiguration
from harness.ecs.scheduler import Bounds, DeregisterTarget, StartTask, StopTask


def cfg(min_healthy: int, maximum: int) -> DeploymentConfiguration:
    return DeploymentConfiguration(maximum_percent=maximum, minimum_healthy_percent=min_healthy)


@pytest.mark.parametrize(
    ("desired", "min_healthy", "maximum", "max_tasks", "min_tasks"),
    [
        (4, 50, 200, 8, 2),  # may stop 2 old tasks before starting 2 new ones
        (2, 75, 200, 4, 2),  # ceil(1.5) = 2: may stop nothing
        (3, 100, 125, 3, 3),  # floor(3.75) = 3: may start nothing
        (3, 50, 150, 4, 2),
        (0, 100, 200, 0, 0),
    ],
)
def test_rounding(desired, min_healthy, maximum, max_tasks, min_tasks):
    b = Bounds.of(cfg(min_healthy, maximum), desired)
    assert (b.max_tasks, b.min_healthy) == (max_tasks, min_tasks)


def test_defaults_are_200_and_100():
    c = DeploymentConfiguration()
    assert (c.maximum_percent, c.minimum_healthy_percent) == (200, 100)


def _deploy_v2(make_world, make_td, desired, config):
    w = make_world(desired=desired, config=config)
    w.run_until_stable()
    w.update(task_definition=make_td(2))
    return w, w.step()


def test_desired_4_min_50_stops_2_old_first(make_world, make_td):
    _, actions = _deploy_v2(make_world, make_td, 4, cfg(50, 100))
    assert sum(isinstance(a, StopTask) for a in actions) == 2
    assert not any(isinstance(a, StartTask) for a in actions)


def test_desired_2_min_75_stops_nothing(make_world, make_td):
    _, actions = _deploy_v2(make_world, make_td, 2, cfg(75, 200))
    assert not any(isinstance(a, StopTask | DeregisterTarget) for a in actions)
    assert sum(isinstance(a, StartTask) for a in actions) == 2


def test_desired_3_max_125_starts_nothing_and_says_why(make_world, make_td):
    w, actions = _deploy_v2(make_world, make_td, 3, cfg(100, 125))
    assert actions == []
    assert w.messages()[-1].endswith(
        "was unable to stop or start tasks during a deployment because of the service "
        "deployment configuration. Update the minimumHealthyPercent or maximumPercent "
        "value and try again."
    )
    assert w.scheduler.next_wakeup() is None  # nothing to wait for: a true stall
