"""Past the machine's capacity: extra tasks wait PENDING with ECS's event, then scale back.

Issue 11's done-when, on the real stack: a ``desiredCount`` of 10**12 is refused with
AWS's error and nothing changes; one just inside the quota (5,000) but far past this
machine (an instance sized for two 512 MiB tasks) starts no container beyond what fits,
leaves the rest PENDING with "unable to place a task", and the running tasks keep
serving. Scaling back to one drains to one container, nothing pending, and the
deployment is COMPLETED, not stuck.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import docker
import pytest
import requests
from botocore.exceptions import ClientError

from harness.docker_engine.containers import LABEL_PREFIX
from harness.ecs.emulator.emulator import Emulator
from harness.ecs.runtime.task_containers import OWNER_LABEL
from harness.images.registry import PushedImage
from harness.testing import EcsService, Isolation, LocalCloud
from harness.testing.serving import serving_service

pytestmark = [pytest.mark.docker, pytest.mark.timeout(420)]

#: Room for exactly two tasks of the kit's 512 MiB.
INSTANCE_MEMORY_MIB = 1280
PREDICTION = {"instances": [[5.1, 3.5, 1.4, 0.2]]}


@pytest.fixture
def small_emulator(drydock_cloud: LocalCloud, drydock_time_scale: float) -> Iterator[Emulator]:
    settings = drydock_cloud.settings.model_copy(
        update={"time_scale": drydock_time_scale, "instance_memory_mib": INSTANCE_MEMORY_MIB}
    )
    with Emulator(settings) as emulator:
        yield emulator


@pytest.fixture
def service(
    drydock_cloud: LocalCloud,
    drydock_serving_image: PushedImage,
    small_emulator: Emulator,
    drydock_isolation: Isolation,
) -> Iterator[EcsService]:
    built, _ = serving_service(
        small_emulator, drydock_isolation, drydock_cloud, drydock_serving_image.by_digest
    )
    built.with_grace_period(600)
    with built.with_desired_count(2):
        built.wait_stable()
        built.wait_targets_healthy(2)
        yield built


def _containers(emulator: Emulator) -> list[str]:
    client = docker.from_env()
    try:
        found = client.containers.list(
            all=True, filters={"label": f"{LABEL_PREFIX}{OWNER_LABEL}={emulator.owner}"}
        )
        return [c.name for c in found if c.labels.get(f"{LABEL_PREFIX}task-arn")]
    finally:
        client.close()


def _wait(check: object, what: str, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.5)


def test_past_capacity_tasks_wait_pending_and_scaling_back_leaves_nothing(
    service: EcsService, small_emulator: Emulator
) -> None:
    with pytest.raises(ClientError) as refused:
        service.update(desired_count=1_000_000_000_000)
    assert refused.value.response["Error"]["Code"] == "InvalidParameterException"
    assert service.describe()["desiredCount"] == 2

    service.update(desired_count=5_000)
    _wait(lambda: service.describe()["pendingCount"] == 4_998, "4,998 tasks wait")
    described = service.describe()
    assert described["runningCount"] == 2
    unplaced = [e["message"] for e in described["events"] if "unable to place" in e["message"]]
    assert unplaced and "has insufficient memory available" in unplaced[0], unplaced
    time.sleep(2)
    assert len(_containers(small_emulator)) == 2, "no container for a task that does not fit"
    for _ in range(20):
        answer = requests.post(service.lb_url + "/predict", json=PREDICTION, timeout=10)
        assert answer.status_code == 200, answer.text

    service.update(desired_count=1)
    _wait(
        lambda: (service.describe()["runningCount"], service.describe()["pendingCount"]) == (1, 0),
        "back to one running task, none pending",
    )
    service.wait_stable()
    _wait(lambda: len(_containers(small_emulator)) == 1, "no orphan container")
    assert service.describe()["deployments"][0]["rolloutState"] == "COMPLETED"
    answer = requests.post(service.lb_url + "/predict", json=PREDICTION, timeout=10)
    assert answer.status_code == 200
