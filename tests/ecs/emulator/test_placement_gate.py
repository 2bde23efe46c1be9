"""The placement gate with the real scheduler, control plane and driver, fake Docker.

An instance with room for two 512 MiB tasks: a service asking for five runs two, keeps
three PENDING with ECS's event, shows its capacity through the ECS API, starts a
waiting task when a running one stops, and scaling back in leaves nothing behind.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from harness.ecs.api import ApiServer
from harness.ecs.control_plane import ControlPlane
from harness.ecs.control_plane.scheduler_adapter import service_scheduler_factory
from harness.ecs.emulator.elbv2_sync import Elbv2Sync
from harness.ecs.emulator.emulator import WallClock
from harness.ecs.emulator.event_loop import Driver
from harness.ecs.emulator.placement_gate import PlacementGate, register_engine
from harness.ecs.events import EventBus, UnableToPlaceTask
from harness.ecs.scheduler.settings import SchedulerSettings
from harness.settings import DrydockSettings
from harness.time_scale import TimeScale

from .test_driver import FakeProxy, FakeRuntime

SCALE = 0.01
ENGINE = {"MemTotal": 8 * 2**30, "NCPU": 2, "ID": "ABCD:EFGH"}


@pytest.fixture
def world() -> Iterator[tuple[Any, FakeRuntime, list[UnableToPlaceTask]]]:
    observations: queue.Queue[object] = queue.Queue()
    runtime, lb, bus = FakeRuntime(observations), FakeProxy(), EventBus()
    refusals: list[UnableToPlaceTask] = []
    bus.subscribe(lambda e: refusals.append(e) if isinstance(e, UnableToPlaceTask) else None)
    holder: list[Driver] = []
    factory = service_scheduler_factory(
        WallClock(),
        SchedulerSettings(time=TimeScale(SCALE)),
        bus,
        on_change=lambda h: holder[0].wake() if holder else None,
    )
    cp = ControlPlane(clock=time.time, scheduler_factory=factory)
    register_engine(cp, ENGINE, DrydockSettings(instance_memory_mib=1024))
    gate = PlacementGate(runtime, cp, observations, bus)
    targets = Elbv2Sync(lb, cp, runtime.address, scale=TimeScale(SCALE))
    driver = Driver(
        cp, gate, targets, observations, poll_interval_s=0.02, after_step=gate.place_waiting
    )
    holder.append(driver)
    driver.start()
    try:
        with ApiServer(cp) as server:
            ecs = boto3.client(
                "ecs",
                endpoint_url=server.endpoint_url,
                region_name="us-east-1",
                aws_access_key_id="test",
                aws_secret_access_key="test",
            )
            yield ecs, runtime, refusals
    finally:
        driver.stop()
        assert driver.errors == []


def eventually(check: Callable[[], bool], what: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def service(ecs: Any) -> dict[str, Any]:
    return ecs.describe_services(cluster="c", services=["s"])["services"][0]


def live(runtime: FakeRuntime) -> set[str]:
    return set(runtime.started) - set(runtime.stopped)


def test_tasks_past_capacity_wait_pending_with_ecs_event_and_start_when_room_frees(
    world: tuple[Any, FakeRuntime, list[UnableToPlaceTask]],
) -> None:
    ecs, runtime, refusals = world
    ecs.create_cluster(clusterName="c")
    ecs.register_task_definition(
        family="web", containerDefinitions=[{"name": "app", "image": "i", "memory": 512}]
    )
    ecs.create_service(cluster="c", serviceName="s", taskDefinition="web", desiredCount=5)
    eventually(lambda: service(ecs)["runningCount"] == 2, "two tasks run")
    time.sleep(0.3)
    described = service(ecs)
    assert (described["runningCount"], described["pendingCount"]) == (2, 3)
    assert len(live(runtime)) == 2, "no container for a task that does not fit"
    messages = [e["message"] for e in described["events"]]
    unplaced = [m for m in messages if "was unable to place a task" in m]
    assert len(unplaced) == 1, messages
    assert unplaced[0].startswith("(service s) was unable to place a task because no container")
    assert "has insufficient memory available" in unplaced[0]
    assert len(refusals) == 1

    cluster = ecs.describe_clusters(clusters=["c"], include=["STATISTICS"])["clusters"][0]
    stats = {s["name"]: s["value"] for s in cluster["statistics"]}
    assert cluster["registeredContainerInstancesCount"] == 1
    assert (stats["registeredMemory"], stats["remainingMemory"]) == ("1024", "0")
    assert stats["registeredCpu"] == "2048"
    (arn,) = ecs.list_container_instances(cluster="c")["containerInstanceArns"]
    assert arn.startswith("arn:aws:ecs:us-east-1:000000000000:container-instance/c/")
    (instance,) = ecs.describe_container_instances(cluster="c", containerInstances=[arn])[
        "containerInstances"
    ]
    remaining = {r["name"]: r["integerValue"] for r in instance["remainingResources"]}
    assert remaining == {"CPU": 2048, "MEMORY": 0}
    assert (instance["runningTasksCount"], instance["pendingTasksCount"]) == (2, 3)
    assert arn.rsplit("/", 1)[-1] in unplaced[0]

    victim = next(iter(live(runtime)))
    ecs.stop_task(cluster="c", task=victim)
    eventually(lambda: len(runtime.started) == 3, "a waiting task starts once room frees")
    eventually(lambda: service(ecs)["runningCount"] == 2, "two run again")
    eventually(lambda: service(ecs)["pendingCount"] == 3, "the stopped task's replacement waits")


def test_scaling_past_capacity_then_back_leaves_no_orphan_and_completes(
    world: tuple[Any, FakeRuntime, list[UnableToPlaceTask]],
) -> None:
    ecs, runtime, _ = world
    ecs.create_cluster(clusterName="c")
    ecs.register_task_definition(
        family="web", containerDefinitions=[{"name": "app", "image": "i", "memory": 512}]
    )
    ecs.create_service(cluster="c", serviceName="s", taskDefinition="web", desiredCount=1)
    eventually(lambda: service(ecs)["runningCount"] == 1, "one task runs")
    ecs.update_service(cluster="c", service="s", desiredCount=4_000)
    # Settled: the room for a second task is used, the rest wait (3,999 pending was a
    # moment before the gate's start reached the runtime).
    eventually(
        lambda: (service(ecs)["runningCount"], service(ecs)["pendingCount"]) == (2, 3_998),
        "two run, the rest wait",
        timeout_s=30,
    )
    assert len(live(runtime)) == 2
    ecs.update_service(cluster="c", service="s", desiredCount=1)
    eventually(
        lambda: (service(ecs)["runningCount"], service(ecs)["pendingCount"]) == (1, 0),
        "back to one task, nothing pending",
        timeout_s=30,
    )
    eventually(lambda: len(live(runtime)) == 1, "no orphan container")
    ecs.update_service(cluster="c", service="s", desiredCount=2)
    eventually(lambda: service(ecs)["runningCount"] == 2, "room is there again")
    deployment = service(ecs)["deployments"][0]
    eventually(
        lambda: service(ecs)["deployments"][0]["rolloutState"] == "COMPLETED",
        f"the deployment completes, not stuck: {deployment}",
    )
