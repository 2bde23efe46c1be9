"""The driver loop with the real scheduler and control plane, fake Docker and HAProxy.

Proves the wiring without an engine: API calls wake the loop, StartTask reaches the
runtime, RegisterTarget reaches the balancer with the task's address, health and
drains flow back as observations, and ELBv2 target groups and listeners created through
boto3 reach the balancer with their durations scaled.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import boto3
import pytest

from harness.ecs.api import ApiServer
from harness.ecs.control_plane import ControlPlane
from harness.ecs.control_plane.scheduler_adapter import service_scheduler_factory
from harness.ecs.emulator.driver import Driver
from harness.ecs.emulator.elbv2_sync import HaproxyTargetBalancer
from harness.ecs.emulator.emulator import WallClock
from harness.ecs.haproxy.model import Target, TargetGroup, TargetHealth, TargetHealthState
from harness.ecs.scheduler.actions import StartTask, StopTask
from harness.ecs.scheduler.observations import TaskRunning, TaskStopped
from harness.ecs.scheduler.settings import SchedulerSettings
from harness.time_scale import TimeScale

SCALE = 0.01
WAIT = {"Delay": 0.1, "MaxAttempts": 100}


class FakeRuntime:
    """Every task starts at once and stops at once; addresses are made up."""

    def __init__(self, observations: queue.Queue[object]) -> None:
        self.observations = observations
        self.started: list[str] = []
        self.stopped: list[str] = []

    def start_task(self, action: StartTask) -> None:
        self.started.append(action.task.task_arn)
        self.observations.put(TaskRunning(action.task.task_arn))

    def stop_task(self, action: StopTask) -> None:
        self.stopped.append(action.task_arn)
        self.observations.put(TaskStopped(action.task_arn, exit_code=0))

    def address(self, task_arn: str, container_name: str) -> str:
        return f"10.0.0.{self.started.index(task_arn) + 2}"


class FakeLoadBalancer:
    """The ``LoadBalancer`` protocol in memory: targets are healthy as soon as registered."""

    def __init__(self) -> None:
        self.groups: dict[str, TargetGroup] = {}
        self.listeners: dict[int, str] = {}
        self.targets: dict[str, dict[str, tuple[str, int]]] = {}
        self.draining: set[str] = set()

    def create_target_group(self, target_group: TargetGroup) -> None:
        self.groups[target_group.name] = target_group
        self.targets.setdefault(target_group.name, {})

    def update_target_group(self, target_group: TargetGroup) -> None:
        assert target_group.name in self.groups
        self.groups[target_group.name] = target_group

    def bind_listener(self, port: int, target_group: str) -> None:
        self.listeners[port] = target_group

    def register_target(self, target_group: str, target_id: str, ip: str, port: int) -> None:
        self.targets[target_group][target_id] = (ip, port)

    def deregister_target(self, target_group: str, target_id: str) -> None:
        self.draining.add(target_id)

    def target_health(self, target_group: str) -> list[TargetHealth]:
        return [
            TargetHealth(
                t,
                port,
                TargetHealthState.DRAINING if t in self.draining else TargetHealthState.HEALTHY,
            )
            for t, (_, port) in self.targets[target_group].items()
        ]

    def draining_complete(self, target_group: str, target_id: str) -> bool:
        self.targets[target_group].pop(target_id, None)
        return True

    def resume(
        self,
        target_groups: Iterable[TargetGroup],
        listeners: Mapping[int, str],
        targets: Mapping[str, Iterable[Target]],
    ) -> set[str]:
        return set()  # a fresh balancer serves nothing yet


@pytest.fixture
def emulated() -> Iterator[tuple[Any, Any, FakeRuntime, FakeLoadBalancer, Driver]]:
    observations: queue.Queue[object] = queue.Queue()
    runtime, lb = FakeRuntime(observations), FakeLoadBalancer()
    holder: list[Driver] = []
    factory = service_scheduler_factory(
        WallClock(),
        SchedulerSettings(time=TimeScale(SCALE)),
        on_change=lambda h: holder[0].wake() if holder else None,
    )
    cp = ControlPlane(clock=time.time, scheduler_factory=factory)
    targets = HaproxyTargetBalancer(lb, cp, runtime.address, scale=TimeScale(SCALE))
    driver = Driver(cp, runtime, targets, observations, poll_interval_s=0.02)
    holder.append(driver)
    driver.start()
    try:
        with ApiServer(cp) as server:
            kwargs = {
                "endpoint_url": server.endpoint_url,
                "region_name": "us-east-1",
                "aws_access_key_id": "test",
                "aws_secret_access_key": "test",
            }
            yield (
                boto3.client("ecs", **kwargs),
                boto3.client("elbv2", **kwargs),
                runtime,
                lb,
                driver,
            )
    finally:
        driver.stop()


def test_rollout_through_the_driver_reaches_runtime_and_balancer(
    emulated: tuple[Any, Any, FakeRuntime, FakeLoadBalancer, Driver],
) -> None:
    ecs, elbv2, runtime, lb, driver = emulated
    lb_arn = elbv2.create_load_balancer(Name="alb")["LoadBalancers"][0]["LoadBalancerArn"]
    tg_arn = elbv2.create_target_group(
        Name="web", Protocol="HTTP", Port=8080, TargetType="ip", HealthCheckPath="/ready"
    )["TargetGroups"][0]["TargetGroupArn"]
    elbv2.create_listener(
        LoadBalancerArn=lb_arn,
        Protocol="HTTP",
        Port=8080,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn}],
    )
    ecs.create_cluster(clusterName="c")
    ecs.register_task_definition(
        family="web",
        containerDefinitions=[
            {"name": "app", "image": "app:1", "portMappings": [{"containerPort": 8080}]}
        ],
    )
    ecs.create_service(
        cluster="c",
        serviceName="web",
        taskDefinition="web",
        desiredCount=2,
        loadBalancers=[{"targetGroupArn": tg_arn, "containerName": "app", "containerPort": 8080}],
    )
    ecs.get_waiter("services_stable").wait(cluster="c", services=["web"], WaiterConfig=WAIT)

    group = lb.groups["web"]
    assert group.health_check.path == "/ready"
    assert group.health_check.interval_s == pytest.approx(30 * SCALE)
    assert group.deregistration_delay_s == pytest.approx(300 * SCALE)
    assert lb.listeners == {8080: "web"}
    assert len(runtime.started) == 2 and len(lb.targets["web"]) == 2
    # services_stable counts RUNNING tasks (as on AWS); health follows from the poll.
    elbv2.get_waiter("target_in_service").wait(TargetGroupArn=tg_arn, WaiterConfig=WAIT)
    health = elbv2.describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]
    assert [h["TargetHealth"]["State"] for h in health] == ["healthy", "healthy"]

    first = list(runtime.started)
    ecs.update_service(cluster="c", service="web", forceNewDeployment=True)
    deadline = time.monotonic() + 10
    while set(runtime.stopped) != set(first) and time.monotonic() < deadline:
        time.sleep(0.05)
    ecs.get_waiter("services_stable").wait(cluster="c", services=["web"], WaiterConfig=WAIT)
    assert set(runtime.stopped) == set(first), "old tasks are stopped after draining"
    assert len(runtime.started) == 4
    assert set(lb.targets["web"]) == {arn.rsplit("/", 1)[-1] for arn in runtime.started[2:]}
    assert driver.errors == []


def test_scaled_health_check_keeps_a_realistic_timeout() -> None:
    from harness.ecs.control_plane.elbv2.registry import HealthCheck, TargetGroup
    from harness.ecs.emulator.elbv2_sync import MIN_CHECK_TIMEOUT_S, balancer_target_group

    group = TargetGroup(
        name="web",
        arn="arn:tg/web",
        protocol="HTTP",
        port=80,
        vpc_id="vpc",
        target_type="ip",
        health_check=HealthCheck(interval_seconds=30, timeout_seconds=5),
    )
    fast = balancer_target_group(group, TimeScale(0.05))
    assert fast.health_check.interval_s == pytest.approx(1.5)
    assert fast.health_check.timeout_s == pytest.approx(MIN_CHECK_TIMEOUT_S)
    assert fast.deregistration_delay_s == pytest.approx(15)
    tiny = balancer_target_group(group, TimeScale(0.01))
    assert tiny.health_check.timeout_s < tiny.health_check.interval_s
    assert balancer_target_group(group, TimeScale(1.0)).health_check.timeout_s == pytest.approx(5)


def test_target_group_attributes_changed_after_the_first_sync_reach_the_balancer(
    emulated: tuple[Any, Any, FakeRuntime, FakeLoadBalancer, Driver],
) -> None:
    """Regression: the driver copied a group into HAProxy once; a deregistration delay
    set right after CreateTargetGroup (as ``drydock demo`` does) was lost whenever a
    sync ran in between, and every drain waited the default 300 s."""
    _, elbv2, _, lb, _ = emulated
    tg_arn = elbv2.create_target_group(Name="web", Protocol="HTTP", Port=8080, TargetType="ip")[
        "TargetGroups"
    ][0]["TargetGroupArn"]
    deadline = time.monotonic() + 5
    while "web" not in lb.groups and time.monotonic() < deadline:
        time.sleep(0.01)
    assert lb.groups["web"].deregistration_delay_s == pytest.approx(300 * SCALE)
    elbv2.modify_target_group_attributes(
        TargetGroupArn=tg_arn,
        Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "5"}],
    )
    while time.monotonic() < deadline and (
        lb.groups["web"].deregistration_delay_s != pytest.approx(5 * SCALE)
    ):
        time.sleep(0.01)
    assert lb.groups["web"].deregistration_delay_s == pytest.approx(5 * SCALE)
