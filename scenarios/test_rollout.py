"""A rolling update through boto3 moves real containers behind the real HAProxy.

The emulator runs in this process (API on 127.0.0.1, driver loop, docker runtime,
HAProxy on the local cloud's network) at the kit's time scale (0.05: AWS's 30 s health
check interval becomes 1.5 s). While a bounded client keeps POSTing through the
listener, ``forceNewDeployment`` replaces every task serving model A with one serving
model B: no request may fail, every answer after the rollout is B, and the number of
running tasks stays inside the deployment configuration's bounds throughout.
"""

from __future__ import annotations

import time

import pytest
import requests

from harness.ecs.emulator.emulator import Emulator
from harness.images.registry import PushedImage
from harness.pipeline.model_pipeline import release_model
from harness.pipeline.service_pipeline import serving_environment
from harness.testing import BoundsWatcher, ClientLoad, EcsService, Isolation, LocalCloud
from harness.testing.load import IRIS_ROW

pytestmark = [pytest.mark.docker, pytest.mark.timeout(600)]

DESIRED = 2
DEREGISTRATION_DELAY_S = 20


def test_force_new_deployment_swaps_the_model_with_zero_failed_requests(
    drydock_cloud: LocalCloud,
    drydock_serving_image: PushedImage,
    drydock_isolation: Isolation,
    drydock_emulator: Emulator,
    drydock_time_scale: float,
) -> None:
    cloud, names = drydock_cloud, drydock_isolation
    model_a = release_model(cloud.store, names.model_name, regularization=1.0)
    environment = serving_environment(
        cloud.settings, cloud.store.uri(names.model_name, "latest"), "ecs-task"
    )
    service = (
        EcsService(drydock_emulator, names)
        .with_image(drydock_serving_image.by_digest)
        .with_container(port=cloud.settings.serving_port, environment=environment)
        .with_target_group(deregistration_delay_s=DEREGISTRATION_DELAY_S)
        .with_desired_count(DESIRED)
        .with_deployment(minimum_healthy_percent=100, maximum_percent=200)
    )
    with service:
        service.wait_stable()
        # services_stable counts RUNNING tasks, as on AWS; a rollout from a deployment
        # whose targets are not yet healthy may stop them early, so start from COMPLETED.
        service.wait_rollout_state("COMPLETED", timeout_s=60)
        assert not drydock_emulator.driver.errors  # type: ignore[union-attr]
        before = [
            requests.post(service.lb_url + "/predict", json=IRIS_ROW, timeout=10) for _ in range(6)
        ]
        assert [r.status_code for r in before] == [200] * 6
        assert {r.headers["X-Model-Version"] for r in before} == {model_a.manifest.version}

        first_tasks = [t["taskArn"] for t in service.tasks()]
        model_b = release_model(cloud.store, names.model_name, regularization=0.02)
        with ClientLoad(service.lb_url) as load, BoundsWatcher(service) as bounds:
            time.sleep(0.5)
            began = time.monotonic()
            deployment = service.force_new_deployment()
            service.wait_rollout_state("COMPLETED", deployment, timeout_s=120)
            service.wait_stable()
            finished = time.monotonic()
            time.sleep(1.0)

        rollout_s = finished - began
        print("\n" + "\n".join(service.events()))
        print(
            f"rollout {rollout_s:.1f} s; requests {len(load.responses)}, "
            f"failed {len(load.failures)}; running counts seen "
            f"{sorted({s.running for s in bounds.samples})}"
        )
        # Lower bound: an old target drains for the deregistration delay before it stops.
        assert rollout_s >= DEREGISTRATION_DELAY_S * drydock_time_scale
        assert load.failures == [], load.failures[:5]
        assert len(load.successes) > 50
        after = {r.version for r in load.after(finished)}
        assert after == {model_b.manifest.version}
        assert {r.version for r in load.responses} == {
            model_a.manifest.version,
            model_b.manifest.version,
        }
        bounds.assert_held()
        assert not drydock_emulator.driver.errors  # type: ignore[union-attr]
        kept = drydock_emulator.runtime.logs(first_tasks[0])
        assert kept["serving"].strip(), "a stopped task's logs outlive its container"
        assert [d["rolloutState"] for d in service.describe()["deployments"]] == ["COMPLETED"]
        assert any("deployment completed" in e for e in service.events())
