"""A restart after a blue/green deployment keeps production where the listener sends it.

A BLUE_GREEN deployment that completed in the alternate target group made it the
production group (DescribeServices shows it as ``loadBalancers[].targetGroupArn``, as on
AWS); the production listener rule forwards 100 % to it. The emulator is restarted with
its journal (tasks and HAProxy kept): the adopted tasks must go back into that group,
so clients of the production listener see no failed request, and the next deployment
must land in the other group, the original one.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from harness.ecs.emulator.emulator import Emulator
from harness.images.registry import PushedImage
from harness.testing import ClientLoad, Isolation, LocalCloud
from harness.testing.clients import aws_client
from harness.testing.service import EcsService
from harness.testing.serving import serving_service
from harness.testing.traffic_shifting import TrafficShifting
from harness.testing.traffic_watch import wait_service_deployment

pytestmark = [pytest.mark.docker, pytest.mark.timeout(480)]

DESIRED = 2


def _roles(service: EcsService) -> tuple[str, str]:
    lb = service.describe()["loadBalancers"][0]
    return lb["targetGroupArn"], lb["advancedConfiguration"]["alternateTargetGroupArn"]


def _healthy_groups(service: EcsService, groups: tuple[str, str]) -> set[str]:
    return {
        group
        for group in groups
        if any(
            t["TargetHealth"]["State"] == "healthy"
            for t in service.elbv2.describe_target_health(TargetGroupArn=group)[
                "TargetHealthDescriptions"
            ]
        )
    }


def _deploy(service: EcsService, release: str) -> None:
    env = {**service.container.environment, "DRYDOCK_RELEASE_LABEL": release}
    service.update(environment=env)
    wait_service_deployment(service, status="SUCCESSFUL", timeout_s=180)


def test_a_restart_after_blue_green_keeps_production_in_the_swapped_group(
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
        service.with_desired_count(DESIRED).with_strategy(
            TrafficShifting("BLUE_GREEN", bake_time_in_minutes=0)
        )
        service.start()
        service.wait_stable()
        service.wait_targets_healthy(DESIRED)
        assert service.routing is not None
        blue, green = service.target_group_arn, service.routing.alternate_target_group_arn
        assert _roles(service) == (blue, green)

        _deploy(service, "2")  # completes in green: the roles swap
        assert _roles(service) == (green, blue), "DescribeServices shows green as production"
        assert _healthy_groups(service, (blue, green)) == {green}
        before = {t["taskArn"] for t in service.tasks()}

        with ClientLoad(service.lb_url, threads=2) as load:
            time.sleep(1.0)
            first.stop(keep_tasks=True)
            time.sleep(0.5)  # the control plane is away; the balancer keeps serving
            second = Emulator(settings, journal=journal, owner=drydock_emulator_owner).start()
            restarted_at = time.monotonic()
            service.emulator = second
            service.ecs = aws_client("ecs", second)
            service.elbv2 = aws_client("elbv2", second)
            service.wait_stable(timeout_s=60)
            deadline = time.monotonic() + 30
            while _healthy_groups(service, (blue, green)) != {green}:
                assert time.monotonic() < deadline, "adopted tasks not healthy in green"
                time.sleep(0.2)
            time.sleep(2.0)  # traffic through the adopted tasks, in the production group

        print(
            f"\nrequests {len(load.responses)}, {len(load.after(restarted_at))} after the "
            f"restart; failed {len(load.failures)}: "
            f"{[(f.error[:60], f.status) for f in load.failures[:5]]}"
        )
        assert {t["taskArn"] for t in service.tasks()} == before, "the same tasks, adopted"
        assert _roles(service) == (green, blue), "the roles survived the restart"
        assert load.failures == [], "no client error through the production listener"
        assert len(load.after(restarted_at)) > 10, "served through the new emulator's time"

        _deploy(service, "3")  # the next deployment goes into the other group: blue
        assert _healthy_groups(service, (blue, green)) == {blue}
        assert _roles(service) == (blue, green)
        assert not second.driver.errors  # type: ignore[union-attr]
    finally:
        (second or first).stop()


def test_a_rolling_deployment_after_blue_green_registers_in_the_production_group(
    drydock_cloud: LocalCloud,
    drydock_serving_image: PushedImage,
    drydock_isolation: Isolation,
    drydock_emulator: Emulator,
) -> None:
    """Switched back to ROLLING after a blue/green deployment swapped the roles, the
    service's new tasks go where the production listener rule forwards (the swapped
    group), so clients see no failed request while the rolling update replaces them."""
    service, _ = serving_service(
        drydock_emulator, drydock_isolation, drydock_cloud, drydock_serving_image.by_digest
    )
    service.with_desired_count(DESIRED).with_strategy(
        TrafficShifting("BLUE_GREEN", bake_time_in_minutes=0)
    )
    with service:
        service.wait_stable()
        service.wait_targets_healthy(DESIRED)
        assert service.routing is not None
        blue, green = service.target_group_arn, service.routing.alternate_target_group_arn
        _deploy(service, "2")
        assert _roles(service) == (green, blue)
        service.ecs.update_service(
            cluster=service.cluster,
            service=service.name,
            deploymentConfiguration={
                "strategy": "ROLLING",
                "minimumHealthyPercent": 100,
                "maximumPercent": 200,
            },
        )
        with ClientLoad(service.lb_url, threads=2) as load:
            time.sleep(0.5)
            before = {t["taskArn"] for t in service.tasks()}
            env = {**service.container.environment, "DRYDOCK_RELEASE_LABEL": "3"}
            service.update(environment=env)
            service.wait_rollout_state("COMPLETED", timeout_s=180)
            service.wait_stable()
            time.sleep(1.0)
        after = {t["taskArn"] for t in service.tasks()}
        print(
            f"\nrolling after blue/green: {len(load.responses)} requests, "
            f"failed {len(load.failures)}: {[(f.error[:60], f.status) for f in load.failures[:5]]}"
        )
        assert not after & before, "every task replaced by the rolling deployment"
        assert _healthy_groups(service, (blue, green)) == {green}, "new tasks in production"
        assert _roles(service) == (green, blue)
        assert load.failures == [], "no client error during the rolling deployment"
    assert not drydock_emulator.driver.errors  # type: ignore[union-attr]
