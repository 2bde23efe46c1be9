"""The control plane wired to the real ServiceScheduler, driven by hand like the driver loop.

Proves the glue is thin and right: CreateService/UpdateService/StopTask/DeleteService
reach the scheduler, and what it decides is what DescribeServices shows (so boto3's
``services_stable`` waiter works against the real state machine).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import WaiterError

from harness.ecs.api import ApiServer
from harness.ecs.control_plane import ControlPlane
from harness.ecs.control_plane.scheduler_adapter import (
    ServiceSchedulerHandle,
    service_scheduler_factory,
)
from harness.ecs.scheduler.actions import StartTask, StopTask
from harness.ecs.scheduler.observations import TaskRunning, TaskStopped
from harness.ecs.scheduler.settings import SchedulerSettings
from harness.time_scale import TimeScale

FAST_WAIT = {"Delay": 0.05, "MaxAttempts": 3}


class FakeClock:
    def __init__(self) -> None:
        self.t = 1_700_000_000.0

    def now(self) -> float:
        return self.t


class Driver:
    """The smallest driver loop: runs every started task, finishes every stop."""

    def __init__(self, control_plane: ControlPlane) -> None:
        self.cp = control_plane
        self.changed: list[ServiceSchedulerHandle] = []

    def settle(self, clock: FakeClock, rounds: int = 4) -> None:
        with self.cp.lock:
            for _ in range(rounds):
                for handle in self.cp.schedulers():
                    assert isinstance(handle, ServiceSchedulerHandle)
                    observations: list[Any] = []
                    for action in handle.step():
                        if isinstance(action, StartTask):
                            observations.append(TaskRunning(task_arn=action.task.task_arn))
                        elif isinstance(action, StopTask):
                            observations.append(TaskStopped(task_arn=action.task_arn))
                    handle.step(observations)
                clock.t += 60 * 0.01  # past the 40 s "healthy without checks" wait, scaled


@pytest.fixture
def world() -> Iterator[tuple[Any, Driver, FakeClock]]:
    clock = FakeClock()
    driver_changes: list[ServiceSchedulerHandle] = []
    factory = service_scheduler_factory(
        clock, SchedulerSettings(time=TimeScale(0.01)), on_change=driver_changes.append
    )
    cp = ControlPlane(clock=clock.now, scheduler_factory=factory)
    driver = Driver(cp)
    driver.changed = driver_changes
    with ApiServer(cp) as server:
        ecs = boto3.client(
            "ecs",
            endpoint_url=server.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        ecs.create_cluster(clusterName="prod")
        for image in ("app:1", "app:2"):
            ecs.register_task_definition(
                family="web", containerDefinitions=[{"name": "app", "image": image}]
            )
        yield ecs, driver, clock


def test_real_scheduler_behind_the_api(world: tuple[Any, Driver, FakeClock]) -> None:
    ecs, driver, clock = world
    ecs.create_service(cluster="prod", serviceName="web", taskDefinition="web:1", desiredCount=2)
    assert driver.changed, "creating a service must wake the driver"
    with pytest.raises(WaiterError):  # nothing runs until the driver steps
        ecs.get_waiter("services_stable").wait(
            cluster="prod", services=["web"], WaiterConfig=FAST_WAIT
        )
    driver.settle(clock)
    ecs.get_waiter("services_stable").wait(cluster="prod", services=["web"], WaiterConfig=FAST_WAIT)
    service = ecs.describe_services(cluster="prod", services=["web"])["services"][0]
    assert service["runningCount"] == 2
    assert any("has reached a steady state" in e["message"] for e in service["events"])

    ecs.update_service(cluster="prod", service="web", taskDefinition="web:2")
    rolling = ecs.describe_services(cluster="prod", services=["web"])["services"][0]
    assert [d["status"] for d in rolling["deployments"]] == ["PRIMARY", "ACTIVE"]
    assert rolling["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    driver.settle(clock, rounds=8)
    done = ecs.describe_services(cluster="prod", services=["web"])["services"][0]
    assert len(done["deployments"]) == 1
    assert done["deployments"][0]["taskDefinition"].endswith("web:2")
    running = ecs.list_tasks(cluster="prod", serviceName="web")["taskArns"]
    assert len(running) == 2

    ecs.stop_task(cluster="prod", task=running[0], reason="chaos test")
    driver.settle(clock)
    assert running[0] not in ecs.list_tasks(cluster="prod", serviceName="web")["taskArns"]

    ecs.delete_service(cluster="prod", service="web", force=True)
    assert (
        ecs.describe_services(cluster="prod", services=["web"])["services"][0]["status"]
        == "DRAINING"
    )
    driver.settle(clock)
    assert (
        ecs.describe_services(cluster="prod", services=["web"])["services"][0]["status"]
        == "INACTIVE"
    )
