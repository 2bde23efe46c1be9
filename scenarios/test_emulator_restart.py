"""An emulator restart adopts the running tasks: same tasks, no outage.

ECS's control plane restarts without stopping tasks. The emulator keeps services in its
journal; stopped with ``keep_tasks`` it also leaves the task containers and its own
HAProxy running, and the next emulator with the same journal and owner identity adopts
both: the tasks become RUNNING tasks of their deployment again (same task ARNs, no
replacement started) and HAProxy's servers are taken over as they are, without a reload.

The balancer is never restarted, so clients must see no error at all while the control
plane is away and while the new one takes over; that is what is asserted.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from harness.ecs.emulator.emulator import Emulator
from harness.images.registry import PushedImage
from harness.testing import ClientLoad, EcsService, Isolation, LocalCloud
from harness.testing.serving import serving_service

pytestmark = [pytest.mark.docker, pytest.mark.timeout(300)]

DESIRED = 2


def test_a_restarted_emulator_adopts_its_tasks_without_an_outage(
    drydock_cloud: LocalCloud,
    drydock_serving_image: PushedImage,
    drydock_isolation: Isolation,
    drydock_time_scale: float,
    drydock_emulator_owner: str,
    tmp_path: Path,
) -> None:
    settings = drydock_cloud.settings.model_copy(update={"time_scale": drydock_time_scale})
    journal = tmp_path / "journal.jsonl"
    first = Emulator(settings, journal=journal, owner=drydock_emulator_owner).start()
    second: Emulator | None = None
    try:
        service, _ = serving_service(
            first, drydock_isolation, drydock_cloud, drydock_serving_image.by_digest
        )
        service.with_desired_count(DESIRED).start()
        service.wait_stable()
        service.wait_rollout_state("COMPLETED", timeout_s=60)
        service.wait_targets_healthy()
        before = {t["taskArn"] for t in service.tasks()}
        with ClientLoad(service.lb_url, threads=2) as load:
            time.sleep(1.0)
            stopped_at = time.monotonic()
            first.stop(keep_tasks=True)
            time.sleep(0.5)  # the control plane is away; the balancer keeps serving
            second = Emulator(settings, journal=journal, owner=drydock_emulator_owner).start()
            restarted_at = time.monotonic()
            again = EcsService(second, drydock_isolation)
            again.target_group_arn = service.target_group_arn
            again.wait_stable(timeout_s=60)
            again.wait_targets_healthy(DESIRED)
            settled_at = time.monotonic()
            time.sleep(1.0)

        print(
            f"\nrestart took {restarted_at - stopped_at:.1f} s, settled after "
            f"{settled_at - restarted_at:.1f} s; requests {len(load.responses)}, "
            f"failed {len(load.failures)}: {[(f.error[:60], f.status) for f in load.failures]}"
        )
        tasks = again.tasks()
        assert {t["taskArn"] for t in tasks} == before, "the same tasks, adopted"
        assert again.tasks("STOPPED") == [], "nothing was stopped"
        assert not any("has started" in e for e in again.events()), "no task was started"
        described = again.describe()
        assert described["runningCount"] == DESIRED and len(described["deployments"]) == 1
        assert all(c.get("runtimeId") for t in tasks for c in t["containers"])
        assert load.failures == [], "no client error while the emulator restarted"
        assert len(load.after(restarted_at)) > 10, "served through the new emulator's time"
        assert not second.driver.errors  # type: ignore[union-attr]
    finally:
        (second or first).stop()
