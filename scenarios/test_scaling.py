"""Changing desiredCount alone: new tasks join the target group, surplus ones drain first.

Scaling out (2 -> 4) must register the new tasks and put them in rotation: every one of
the four tasks answers through the load balancer. Scaling in (4 -> 1) must drain each
surplus task's target before stopping it, so a client POSTing throughout sees no error.
``X-Task-Id`` is the serving container's hostname, which the kit maps to the ECS task.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from harness.ecs.emulator.emulator import Emulator
from harness.images.registry import PushedImage
from harness.testing import ClientLoad, EcsService, Isolation, LocalCloud
from harness.testing.serving import serving_service

pytestmark = [pytest.mark.docker, pytest.mark.timeout(300)]

DEREGISTRATION_DELAY_S = 20  # AWS seconds: 1 s at time scale 0.05
#: 30 s scaled: on a loaded two-core machine a task may need over 10 s to load its model,
#: and a task failing its checks before that would be replaced, which is not this story.
GRACE_PERIOD_S = 600


@pytest.fixture
def service(
    drydock_cloud: LocalCloud,
    drydock_serving_image: PushedImage,
    drydock_emulator: Emulator,
    drydock_isolation: Isolation,
) -> Iterator[EcsService]:
    """Two tasks serving a model (X-Task-Id is the hostname), deployment COMPLETED."""
    built, _ = serving_service(
        drydock_emulator, drydock_isolation, drydock_cloud, drydock_serving_image.by_digest
    )
    built.with_target_group(deregistration_delay_s=DEREGISTRATION_DELAY_S)
    built.with_grace_period(GRACE_PERIOD_S)
    with built.with_desired_count(2):
        built.wait_stable()
        built.wait_rollout_state("COMPLETED")
        yield built


def _ids_answering(load: ClientLoad, since: float, service: EcsService) -> set[str]:
    """ECS task ids of the tasks that answered after ``since``."""
    by_hostname = service.task_id_by_hostname()
    return {
        by_hostname.get(r.task_id, f"unknown:{r.task_id}")
        for r in load.after(since)
        if r.ok and r.task_id
    }


def test_scale_out_puts_new_tasks_in_rotation_and_scale_in_drains_first(
    service: EcsService,
    drydock_time_scale: float,
) -> None:
    first = service.task_ids()
    with ClientLoad(service.lb_url, threads=2, max_seconds=120) as load:
        began = time.monotonic()
        service.update(desired_count=4)
        service.wait_stable()
        service.wait_targets_healthy(4)
        out_done = time.monotonic()
        four = service.task_ids()
        deadline = time.monotonic() + 20
        while (seen := _ids_answering(load, out_done, service)) != four:
            assert time.monotonic() < deadline, f"answered by {seen}, tasks {four}"
            time.sleep(0.2)
        scaled_out_s = out_done - began

        began = time.monotonic()
        service.update(desired_count=1)
        service.wait_stable()
        service.wait_targets_healthy(1)
        in_done = time.monotonic()
        time.sleep(1.0)  # traffic after the scale-in reaches the one task left
    scaled_in_s = in_done - began

    print(
        f"\nscale out {scaled_out_s:.1f} s, scale in {scaled_in_s:.1f} s; requests "
        f"{len(load.responses)}, failed {len(load.failures)}"
    )
    assert load.failures == [], load.failures[:5]
    assert len(four) == 4 and first < four
    remaining = service.task_ids()
    assert len(remaining) == 1 and remaining < four
    last = {r.task_id for r in load.after(in_done + 0.5) if r.ok}
    assert len(last) == 1 and _ids_answering(load, in_done + 0.5, service) == remaining
    deadline = time.monotonic() + 30  # the stopping tasks drain, then get SIGTERM
    while (
        len(
            stopped := [
                t
                for t in service.tasks("STOPPED")
                if t["taskArn"].rsplit("/", 1)[-1] in four - remaining
                and t["lastStatus"] == "STOPPED"
            ]
        )
        < 3
    ):
        assert time.monotonic() < deadline, service.diagnosis()
        time.sleep(0.2)
    for task in stopped:
        assert task["stopCode"] == "ServiceSchedulerInitiated", task
        drained_s = (task["stoppedAt"] - task["stoppingAt"]).total_seconds()
        # ECS stops a task only after its target drained (1 s scaled) and SIGTERM.
        assert drained_s >= DEREGISTRATION_DELAY_S * drydock_time_scale, (task, drained_s)
    print(
        "stopping -> stopped (drain, then SIGTERM): "
        + ", ".join(f"{(t['stoppedAt'] - t['stoppingAt']).total_seconds():.1f} s" for t in stopped)
    )
    events = service.events()
    assert any("has begun draining connections on" in e for e in events), events
    assert events[-1].endswith("has reached a steady state."), events[-5:]
