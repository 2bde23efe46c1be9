"""What services at the tasks-per-service quota cost the emulator (by hand:
``python -m bench.emulator_memory``).

The control plane, the real service scheduler, the placement gate and the driver loop,
with a runtime that starts nothing (no docker): an instance with room for two tasks,
then N services each asking for 5,000 (the quota). Every task past the instance's room
waits PENDING as a record in the scheduler, so this is the emulator's memory per
waiting task, measured against its own baseline in the same run. Not run in CI.
"""

from __future__ import annotations

import argparse
import queue
import time

from harness.ecs.control_plane import ECS_OPERATIONS, ControlPlane
from harness.ecs.control_plane.scheduler_adapter import service_scheduler_factory
from harness.ecs.emulator.emulator import WallClock
from harness.ecs.emulator.event_loop import Driver
from harness.ecs.emulator.placement_gate import PlacementGate, register_engine
from harness.ecs.events import EventBus
from harness.ecs.scheduler.actions import (
    AdoptTask,
    DeregisterTarget,
    RegisterTarget,
    StartTask,
    StopTask,
)
from harness.ecs.scheduler.observations import TaskRunning, TaskStopped
from harness.ecs.scheduler.settings import SchedulerSettings
from harness.settings import DrydockSettings
from harness.time_scale import TimeScale

QUOTA = 5_000


class NoDocker:
    """Runtime and balancer that only report back, so nothing but the emulator is measured."""

    def __init__(self, observations: queue.Queue[object]) -> None:
        self.observations = observations

    def start_task(self, action: StartTask) -> None:
        self.observations.put(TaskRunning(action.task.task_arn))

    def stop_task(self, action: StopTask) -> None:
        self.observations.put(TaskStopped(action.task_arn, exit_code=0))

    def adopt_task(self, action: AdoptTask) -> None: ...

    def register_target(self, action: RegisterTarget) -> None: ...

    def deregister_target(self, action: DeregisterTarget) -> None: ...

    def sync(self) -> None: ...

    def poll(self) -> list[object]:
        return []


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--services", type=int, default=4)
    args = parser.parse_args()
    observations: queue.Queue[object] = queue.Queue()
    world, bus, holder = NoDocker(observations), EventBus(), []
    factory = service_scheduler_factory(
        WallClock(),
        SchedulerSettings(time=TimeScale(0.01)),
        bus,
        on_change=lambda _h: holder[0].wake() if holder else None,
    )
    cp = ControlPlane(clock=time.time, scheduler_factory=factory)
    register_engine(cp, {"MemTotal": 0, "NCPU": 2}, DrydockSettings(instance_memory_mib=1024))
    gate = PlacementGate(world, cp, observations, bus)
    driver = Driver(
        cp, gate, world, observations, poll_interval_s=0.02, after_step=gate.place_waiting
    )
    holder.append(driver)
    driver.start()
    cp.call(ECS_OPERATIONS["CreateCluster"], {"clusterName": "bench"})
    cp.call(
        ECS_OPERATIONS["RegisterTaskDefinition"],
        {"family": "w", "containerDefinitions": [{"name": "a", "image": "i", "memory": 512}]},
    )
    time.sleep(0.5)
    baseline = rss_mib()
    began = time.monotonic()
    for i in range(args.services):
        cp.call(
            ECS_OPERATIONS["CreateService"],
            {
                "cluster": "bench",
                "serviceName": f"s{i}",
                "taskDefinition": "w",
                "desiredCount": QUOTA,
            },
        )
    want = args.services * QUOTA - 2
    while True:
        with cp.lock:
            waiting = len(cp.container_instances.waiting)
        if waiting >= want:
            break
        time.sleep(0.1)
    settled = time.monotonic() - began
    time.sleep(1)
    grown = rss_mib() - baseline
    driver.stop()
    print(
        f"{args.services} services x desiredCount {QUOTA}: {waiting} tasks waiting, 2 placed, "
        f"settled in {settled:.1f} s; emulator RSS {baseline:.0f} -> {baseline + grown:.0f} MiB "
        f"(+{grown:.0f} MiB, {grown * 1024 / max(waiting, 1):.2f} KiB per waiting task)"
    )


if __name__ == "__main__":
    main()
