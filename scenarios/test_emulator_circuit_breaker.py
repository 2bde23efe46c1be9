"""A crash-looping image trips the circuit breaker and the service rolls back, unnoticed.

The bad image is Drydock's serving image whose entrypoint exits 1 at once. Its tasks
never become healthy targets, so with minimumHealthyPercent 100 the old tasks keep
serving; after the breaker's threshold of failed tasks (3 for 2 desired) the deployment
is FAILED and the last COMPLETED deployment is PRIMARY again.
"""

from __future__ import annotations

import time

import pytest

from harness.ecs.emulator.emulator import Emulator
from harness.images.registry import PushedImage
from harness.testing import BoundsWatcher, ClientLoad, Isolation, LocalCloud
from harness.testing.serving import serving_service
from scenarios.bad_artifacts import push_crash_looping_image

pytestmark = [pytest.mark.docker, pytest.mark.timeout(600)]


def test_crash_looping_image_fails_the_deployment_and_rolls_back(
    drydock_cloud: LocalCloud,
    drydock_serving_image: PushedImage,
    drydock_isolation: Isolation,
    drydock_emulator: Emulator,
) -> None:
    settings = drydock_cloud.settings
    crashing = push_crash_looping_image(
        drydock_cloud.client, drydock_serving_image, settings.registry_address
    )
    service, _ = serving_service(
        drydock_emulator, drydock_isolation, drydock_cloud, drydock_serving_image.by_digest
    )
    service.with_desired_count(2).with_circuit_breaker(enable=True, rollback=True)
    with service:
        service.wait_stable()
        good = service.wait_rollout_state("COMPLETED", timeout_s=60)
        assert good is not None
        revision_1, old_tasks = service.task_definition_arn, service.task_ids()
        with ClientLoad(service.lb_url, threads=2) as load, BoundsWatcher(service) as bounds:
            time.sleep(0.5)
            revision_2 = service.update(image=crashing.by_digest)
            bad = service.primary()
            assert bad["taskDefinition"] == revision_2 and bad["id"] != good["id"]
            service.wait_rollout_state("FAILED", bad["id"], timeout_s=120)
            service.wait_rollout_state("COMPLETED", good["id"], timeout_s=120)
            service.wait_stable()
            time.sleep(1.0)

        events = service.events()
        print("\n" + "\n".join(events))
        print(f"requests {len(load.responses)}, failed {len(load.failures)}")
        described = service.describe()
        assert [
            (d["id"], d["status"], d["taskDefinition"], d["rolloutState"])
            for d in described["deployments"]
        ] == [(good["id"], "PRIMARY", revision_1, "COMPLETED")]
        assert described["taskDefinition"] == revision_1
        assert service.task_ids() == old_tasks, "the old tasks served throughout"
        failed = [e for e in events if f"(deployment {bad['id']}) deployment failed" in e]
        assert failed, events
        assert any(f"rolling back to deployment {good['id']}" in e for e in failed), failed
        stopped = service.tasks("STOPPED")
        crashed = [t for t in stopped if t["taskDefinitionArn"] == revision_2]
        assert len(crashed) >= 3, "the breaker's threshold for 2 desired tasks is 3"
        assert all(c.get("exitCode") == 1 for t in crashed for c in t["containers"]), crashed
        assert load.failures == [], load.failures[:5]
        assert len(load.successes) > 20
        bounds.assert_held()
        assert not drydock_emulator.driver.errors  # type: ignore[union-attr]
