"""The driver loop with the real scheduler and control plane, fake Docker and HAProxy.

Proves the wiring without an engine: API calls wake the loop, StartTask reaches the
runtime, RegisterTarget reaches HAProxy's driver as a server with the task's address,
health and drains flow back as observations (and into DescribeTargetHealth), and ELBv2
target groups and listeners created through boto3 reach it as backends and frontends with
their durations scaled.
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
from harness.ecs.control_plane.elbv2.target_health import TargetHealthState
from harness.ecs.control_plane.scheduler_adapter import service_scheduler_factory
from harness.ecs.emulator.elbv2_sync import Elbv2Sync
from harness.ecs.emulator.emulator import WallClock
from harness.ecs.emulator.event_loop import Driver
from harness.ecs.haproxy.model import Backend, Server, ServerHealth
from harness.ecs.haproxy.routing import Frontend
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


class FakeProxy:
    """The ``ProxyDriver`` protocol in memory: servers are healthy as soon as added."""

    def __init__(self) -> None:
        self.groups: dict[str, Backend] = {}
        self.listeners: dict[int, str] = {}  # port -> the default route's first backend
        self.frontends: dict[int, Frontend] = {}
        self.targets: dict[str, dict[str, tuple[str, int]]] = {}
        self.draining: set[str] = set()

    def add_backend(self, backend: Backend) -> None:
        self.groups[backend.name] = backend
        self.targets.setdefault(backend.name, {})

    def update_backend(self, backend: Backend) -> None:
        assert backend.name in self.groups
        self.groups[backend.name] = backend

    def set_frontend(self, frontend: Frontend) -> None:
        self.listeners[frontend.port] = frontend.routes[-1].backends[0]
        self.frontends[frontend.port] = frontend

    def remove_frontend(self, port: int) -> None:
        self.listeners.pop(port, None)
        self.frontends.pop(port, None)

    def add_server(self, backend: str, server: Server) -> None:
        self.targets[backend][server.id] = (server.ip, server.port)

    def drain_server(self, backend: str, server_id: str) -> None:
        self.draining.add(server_id)

    def server_health(self, backend: str) -> list[ServerHealth]:
        return [
            ServerHealth(
                t,
                port,
                TargetHealthState.DRAINING if t in self.draining else TargetHealthState.HEALTHY,
            )
            for t, (_, port) in self.targets[backend].items()
        ]

    def drain_finished(self, backend: str, server_id: str) -> bool:
        self.targets[backend].pop(server_id, None)
        return True

    def resume(
        self,
        backends: Iterable[Backend],
        frontends: Mapping[int, Frontend],
        servers: Mapping[str, Iterable[Server]],
    ) -> set[str]:
        return set()  # a fresh proxy serves nothing yet


@pytest.fixture
def emulated() -> Iterator[tuple[Any, Any, FakeRuntime, FakeProxy, Driver]]:
    observations: queue.Queue[object] = queue.Queue()
    runtime, lb = FakeRuntime(observations), FakeProxy()
    holder: list[Driver] = []
    factory = service_scheduler_factory(
        WallClock(),
        SchedulerSettings(time=TimeScale(SCALE)),
        on_change=lambda h: holder[0].wake() if holder else None,
    )
    cp = ControlPlane(clock=time.time, scheduler_factory=factory)
    targets = Elbv2Sync(lb, cp, runtime.address, scale=TimeScale(SCALE))
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
    emulated: tuple[Any, Any, FakeRuntime, FakeProxy, Driver],
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
    assert group.check.path == "/ready"
    assert group.check.inter_s == pytest.approx(30 * SCALE)
    assert group.drain_s == pytest.approx(300 * SCALE)
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
    # One draining clock: a target leaves DescribeTargetHealth when HAProxy's driver says
    # its drain finished (here at once), not after a second timer of the API's own.
    health = elbv2.describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]
    new_ips = {runtime.address(arn, "app") for arn in runtime.started[2:]}
    assert {h["Target"]["Id"] for h in health} == new_ips
    assert driver.errors == []


def test_target_group_attributes_changed_after_the_first_sync_reach_the_balancer(
    emulated: tuple[Any, Any, FakeRuntime, FakeProxy, Driver],
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
    assert lb.groups["web"].drain_s == pytest.approx(300 * SCALE)
    elbv2.modify_target_group_attributes(
        TargetGroupArn=tg_arn,
        Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "5"}],
    )
    while time.monotonic() < deadline and (lb.groups["web"].drain_s != pytest.approx(5 * SCALE)):
        time.sleep(0.01)
    assert lb.groups["web"].drain_s == pytest.approx(5 * SCALE)


def _until(condition: Any, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert condition()


def test_rules_weights_and_a_moved_listener_reach_the_balancer(
    emulated: tuple[Any, Any, FakeRuntime, FakeProxy, Driver],
) -> None:
    _, elbv2, _, lb, driver = emulated
    lb_arn = elbv2.create_load_balancer(Name="alb")["LoadBalancers"][0]["LoadBalancerArn"]
    blue, green = (
        elbv2.create_target_group(Name=n, Protocol="HTTP", Port=80, TargetType="ip")[
            "TargetGroups"
        ][0]["TargetGroupArn"]
        for n in ("blue", "green")
    )
    listener = elbv2.create_listener(
        LoadBalancerArn=lb_arn,
        Port=8080,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": blue}],
    )["Listeners"][0]["ListenerArn"]
    groups = [{"TargetGroupArn": blue, "Weight": 9}, {"TargetGroupArn": green, "Weight": 1}]
    rule = elbv2.create_rule(
        ListenerArn=listener,
        Priority=1,
        Conditions=[{"Field": "path-pattern", "Values": ["/predict"]}],
        Actions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": groups}}],
    )["Rules"][0]["RuleArn"]
    _until(lambda: len(lb.frontends.get(8080, Frontend(0, ())).routes) == 2)
    assert lb.frontends[8080].routes[0].weights == (9, 1)
    assert lb.frontends[8080].routes[0].backends == ("blue", "green")
    groups[1]["Weight"] = 9
    elbv2.modify_rule(
        RuleArn=rule, Actions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": groups}}]
    )
    _until(lambda: lb.frontends[8080].routes[0].weights == (9, 9))
    elbv2.modify_listener(ListenerArn=listener, Port=8081)
    _until(lambda: 8081 in lb.frontends and 8080 not in lb.frontends)
    assert driver.errors == []
