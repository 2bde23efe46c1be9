"""Updating a service to a new image replaces every task, inside the bounds, with no errors.

Image B is Drydock's serving image plus a label, built in under a second from the pushed
image by digest and pushed to the local registry, so it is a genuinely different image
(its own digest) without a rebuild. Task definition revision 2 names it; UpdateService
rolls the service over while a client keeps POSTing through the listener.
"""

from __future__ import annotations

import time

import pytest

from harness.ecs.emulator.emulator import Emulator
from harness.images.registry import PushedImage
from harness.testing import BoundsWatcher, ClientLoad, Isolation, LocalCloud, derived_image
from harness.testing.serving import serving_service

pytestmark = [pytest.mark.docker, pytest.mark.timeout(600)]

DESIRED = 2


def test_update_service_to_a_new_image_serves_only_revision_2_afterwards(
    drydock_cloud: LocalCloud,
    drydock_serving_image: PushedImage,
    drydock_isolation: Isolation,
    drydock_emulator: Emulator,
) -> None:
    settings = drydock_cloud.settings
    image_b = derived_image(
        drydock_cloud.client,
        drydock_serving_image,
        ["LABEL drydock.variant=b"],
        settings.registry_address,
        "drydock/scenario-variants",
        f"b-{drydock_serving_image.digest[7:19]}",
    )
    assert image_b.digest != drydock_serving_image.digest
    service, _ = serving_service(
        drydock_emulator, drydock_isolation, drydock_cloud, drydock_serving_image.by_digest
    )
    service.with_desired_count(DESIRED).with_deployment(
        minimum_healthy_percent=100, maximum_percent=200
    )
    with service:
        service.wait_stable()
        service.wait_rollout_state("COMPLETED", timeout_s=60)
        revision_1, old_tasks = service.task_definition_arn, service.task_ids()
        old_hostnames = service.task_id_by_hostname()  # stopped containers are removed
        with ClientLoad(service.lb_url, threads=2) as load, BoundsWatcher(service) as bounds:
            time.sleep(0.5)
            revision_2 = service.update(image=image_b.by_digest)
            assert revision_2 is not None and revision_2.endswith(":2"), revision_2
            service.wait_rollout_state("COMPLETED", service.primary()["id"], timeout_s=120)
            service.wait_stable()
            finished = time.monotonic()
            time.sleep(1.5)

        new_tasks = service.task_ids()
        hostnames = service.task_id_by_hostname()
        print(
            f"\nrequests {len(load.responses)}, failed {len(load.failures)}; "
            f"samples {len(bounds.samples)}, counts "
            f"{sorted({(s.running, s.pending) for s in bounds.samples})}"
        )
        assert load.failures == [], load.failures[:5]
        bounds.assert_held()
        assert len(new_tasks) == DESIRED and not new_tasks & old_tasks
        described = service.ecs.describe_tasks(cluster=service.cluster, tasks=list(new_tasks))
        assert {t["taskDefinitionArn"] for t in described["tasks"]} == {revision_2}
        containers = service.task_containers()
        assert {containers[t].attrs["Config"]["Image"] for t in new_tasks} == {image_b.by_digest}
        after = load.after(finished)
        assert len(after) > 10
        assert {hostnames.get(r.task_id or "", r.task_id) for r in after} <= new_tasks
        before = {old_hostnames.get(r.task_id or "") for r in load.responses[:10]}
        assert before <= old_tasks, "the first answers came from revision 1's tasks"
        deployments = service.describe()["deployments"]
        assert [(d["taskDefinition"], d["rolloutState"]) for d in deployments] == [
            (revision_2, "COMPLETED")
        ]
        assert revision_1.endswith(":1")
        assert not drydock_emulator.driver.errors  # type: ignore[union-attr]
