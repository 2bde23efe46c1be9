"""A circuit-breaker rollback survives an emulator restart: the good revision stays.

The journal keeps the UpdateService that made the bad deployment; without its rollback
kept too, the restarted emulator came back on the bad revision and deployed it again.
Here a crash-looping image trips the breaker, the service rolls back, the emulator
restarts (journal, tasks and HAProxy kept) and DescribeServices must show the good
revision as the one PRIMARY, COMPLETED deployment, served by the same tasks, with no task
started after the restart.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from harness.ecs.emulator.emulator import Emulator
from harness.images.registry import PushedImage
from harness.testing import ClientLoad, EcsService, Isolation, LocalCloud
from harness.testing.serving import serving_service
from scenarios.bad_artifacts import push_crash_looping_image

pytestmark = [pytest.mark.docker, pytest.mark.timeout(600)]

DESIRED = 2


def test_a_rolled_back_deployment_stays_rolled_back_after_a_restart(
    drydock_cloud: LocalCloud,
    drydock_serving_image: PushedImage,
    drydock_isolation: Isolation,
    drydock_time_scale: float,
    drydock_emulator_owner: str,
    tmp_path: Path,
) -> None:
    settings = drydock_cloud.settings.model_copy(update={"time_scale": drydock_time_scale})
    crashing = push_crash_looping_image(
        drydock_cloud.client, drydock_serving_image, settings.registry_address
    )
    journal = tmp_path / "journal.jsonl"
    first = Emulator(settings, journal=journal, owner=drydock_emulator_owner).start()
    second: Emulator | None = None
    try:
        service, _ = serving_service(
            first, drydock_isolation, drydock_cloud, drydock_serving_image.by_digest
        )
        service.with_desired_count(DESIRED).with_circuit_breaker(enable=True, rollback=True)
        service.start()
        service.wait_stable()
        good = service.wait_rollout_state("COMPLETED", timeout_s=60)
        assert good is not None
        revision_1 = service.task_definition_arn
        service.update(image=crashing.by_digest)
        bad = service.primary()
        assert bad["id"] != good["id"]
        service.wait_rollout_state("FAILED", bad["id"], timeout_s=120)
        service.wait_rollout_state("COMPLETED", good["id"], timeout_s=120)
        service.wait_stable()
        service.wait_targets_healthy(DESIRED)
        before = set(service.task_ids())

        with ClientLoad(service.lb_url, threads=2) as load:
            first.stop(keep_tasks=True)
            second = Emulator(settings, journal=journal, owner=drydock_emulator_owner).start()
            restarted_at = time.monotonic()
            again = EcsService(second, drydock_isolation)
            again.target_group_arn = service.target_group_arn
            again.wait_stable(timeout_s=60)
            again.wait_targets_healthy(DESIRED)
            time.sleep(3.0)  # time enough for a bad deployment to start its tasks

        described = again.describe()
        print(f"\nafter the restart: {described['deployments']}\n" + "\n".join(again.events()))
        assert described["taskDefinition"] == revision_1
        assert [
            (d["id"], d["status"], d["taskDefinition"], d["rolloutState"])
            for d in described["deployments"]
        ] == [(good["id"], "PRIMARY", revision_1, "COMPLETED")]
        assert set(again.task_ids()) == before, "the good revision's tasks, adopted"
        assert not any("has started" in e for e in again.events()), "no task was started"
        assert not any("deployment failed" in e for e in again.events()), "no bad deployment"
        assert load.failures == [], load.failures[:5]
        assert len(load.after(restarted_at)) > 10, "served through the new emulator's time"
        assert not second.driver.errors  # type: ignore[union-attr]
    finally:
        (second or first).stop()
