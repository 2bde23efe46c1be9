"""A rollout takes no longer than its work: the scheduler reacts to each observation.

Lower bound of one batch behind a load balancer: drain (deregistration delay) + stop +
start latency + the first passing target health check. The target is a 4-task rollout
within 1.5x its lower bound; the event-driven scheduler should in fact meet it exactly.
"""

from __future__ import annotations

import pytest

from harness.ecs.domain import DeploymentConfiguration
from harness.time_scale import TimeScale

START, LB_CHECK, DRAIN, STOP = 5.0, 30.0, 300.0, 1.0


@pytest.mark.parametrize(
    ("min_healthy", "maximum", "lower_bound"),
    [
        # start all 4 new, then drain all 4 old at once
        (100, 200, START + LB_CHECK + DRAIN),
        # drain 2 old, start 2 new; twice; the last batch ends with the new tasks healthy
        (50, 100, 2 * (DRAIN + STOP + START + LB_CHECK)),
        # drain all 4, start all 4
        (0, 100, DRAIN + STOP + START + LB_CHECK),
    ],
)
def test_four_task_rollout_within_bound(
    make_world, make_td, is_stable, min_healthy, maximum, lower_bound
):
    config = DeploymentConfiguration(maximum_percent=maximum, minimum_healthy_percent=min_healthy)
    w = make_world(
        desired=4,
        config=config,
        load_balanced=True,
        lb_interval=LB_CHECK,
        deregistration_delay=DRAIN,
    )
    w.run_until_stable()
    w.update(task_definition=make_td(2))
    elapsed = w.run(is_stable)
    assert is_stable(w)
    # (100/200 finishes when the old tasks have stopped, one stop latency after draining)
    assert elapsed <= 1.5 * lower_bound
    assert elapsed <= lower_bound + STOP


def test_time_scale_scales_the_whole_rollout(make_world, make_td, is_stable):
    """Time scale applies to the scheduler's own durations (40 s no-check rule); the
    world's latencies are its own. Here no load balancer: new tasks count healthy
    after 40 s x 0.05 = 2 s."""
    from harness.ecs.scheduler import SchedulerSettings

    w = make_world(desired=4, settings=SchedulerSettings(time=TimeScale(0.05)))
    w.run_until_stable()
    w.update(task_definition=make_td(2))
    elapsed = w.run(is_stable)
    assert elapsed == pytest.approx(START + 2.0 + STOP)
