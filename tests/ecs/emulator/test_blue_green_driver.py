"""A BLUE_GREEN deployment through the real driver loop (fake Docker and HAProxy).

The scheduler's unit tests specify the strategy; this proves the wiring around it: the
loop wakes for the bake time (``next_wakeup``), ``ShiftTraffic`` reaches the listener
rule through :class:`ListenerRuleRouter` (a stand-in for ``Elbv2Registry`` with
``set_forward_weights``), green registers in the alternate target group, and blue is
stopped only after the bake time. The API does not accept the strategy fields yet (the
deployments-api branch does), so the service is switched to BLUE_GREEN on its handle.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Mapping
from dataclasses import replace

import boto3

from harness.ecs.api import ApiServer
from harness.ecs.control_plane import ControlPlane
from harness.ecs.control_plane.scheduler_adapter import service_scheduler_factory
from harness.ecs.domain import AdvancedConfiguration, DeploymentStrategy
from harness.ecs.emulator.elbv2_sync import Elbv2Sync
from harness.ecs.emulator.emulator import WallClock
from harness.ecs.emulator.event_loop import Driver
from harness.ecs.emulator.traffic_router import ListenerRuleRouter
from harness.ecs.scheduler.settings import SchedulerSettings
from harness.time_scale import TimeScale
from tests.ecs.emulator.test_driver import FakeProxy, FakeRuntime

SCALE = 0.01
WAIT = {"Delay": 0.1, "MaxAttempts": 100}
RULE = "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener-rule/app/alb/1/2/3"


class Rules:
    """``Elbv2Registry.set_forward_weights``, recorded with the time it was called."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, str, dict[str, int]]] = []
        self.lock = threading.Lock()

    def set_forward_weights(self, rule_arn: str, weights: Mapping[str, int]) -> None:
        with self.lock:
            self.calls.append((time.monotonic(), rule_arn, dict(weights)))


def wait_for(condition, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert condition()


def test_a_blue_green_deployment_through_the_driver() -> None:
    observations: queue.Queue[object] = queue.Queue()
    runtime, proxy, rules = FakeRuntime(observations), FakeProxy(), Rules()
    holder: list[Driver] = []
    factory = service_scheduler_factory(
        WallClock(),
        SchedulerSettings(time=TimeScale(SCALE)),
        on_change=lambda h: holder[0].wake() if holder else None,
    )
    cp = ControlPlane(clock=time.time, scheduler_factory=factory)
    targets = Elbv2Sync(proxy, cp, runtime.address, scale=TimeScale(SCALE))
    stopped_at: dict[str, float] = {}
    stop_task = runtime.stop_task

    def timed_stop(action) -> None:
        stopped_at[action.task_arn] = time.monotonic()
        stop_task(action)

    runtime.stop_task = timed_stop  # type: ignore[method-assign]
    driver = Driver(
        cp,
        runtime,
        targets,
        observations,  # type: ignore[arg-type]
        poll_interval_s=0.02,
        traffic=ListenerRuleRouter(rules, cp.lock),
    )
    holder.append(driver)
    driver.start()
    try:
        with ApiServer(cp) as server:
            kw = {
                "endpoint_url": server.endpoint_url,
                "region_name": "us-east-1",
                "aws_access_key_id": "test",
                "aws_secret_access_key": "test",
            }
            ecs, elbv2 = boto3.client("ecs", **kw), boto3.client("elbv2", **kw)
            lb_arn = elbv2.create_load_balancer(Name="alb")["LoadBalancers"][0]["LoadBalancerArn"]
            blue_tg, green_tg = (
                elbv2.create_target_group(Name=n, Protocol="HTTP", Port=8080, TargetType="ip")[
                    "TargetGroups"
                ][0]["TargetGroupArn"]
                for n in ("blue", "green")
            )
            elbv2.create_listener(
                LoadBalancerArn=lb_arn,
                Protocol="HTTP",
                Port=8080,
                DefaultActions=[{"Type": "forward", "TargetGroupArn": blue_tg}],
            )
            ecs.create_cluster(clusterName="c")
            for image in ("app:1", "app:2"):
                ecs.register_task_definition(
                    family="web",
                    containerDefinitions=[
                        {"name": "app", "image": image, "portMappings": [{"containerPort": 8080}]}
                    ],
                )
            ecs.create_service(
                cluster="c",
                serviceName="web",
                taskDefinition="web:1",
                desiredCount=2,
                loadBalancers=[
                    {"targetGroupArn": blue_tg, "containerName": "app", "containerPort": 8080}
                ],
            )
            ecs.get_waiter("services_stable").wait(cluster="c", services=["web"], WaiterConfig=WAIT)
            blue_tasks = list(runtime.started)
            with cp.lock:
                (handle,) = cp.schedulers()
                svc = handle.service
                svc.load_balancers = tuple(
                    replace(lb, advanced_configuration=AdvancedConfiguration(green_tg, RULE))
                    for lb in svc.load_balancers
                )
                handle.update(
                    deployment_configuration=replace(
                        svc.deployment_configuration,
                        strategy=DeploymentStrategy.BLUE_GREEN,
                        bake_time_in_minutes=1,
                    )
                )

            ecs.update_service(cluster="c", service="web", taskDefinition="web:2")
            wait_for(lambda: len(rules.calls) == 2)
            ecs.get_waiter("services_stable").wait(cluster="c", services=["web"], WaiterConfig=WAIT)

            assert [(rule, w) for _, rule, w in rules.calls] == [
                (RULE, {blue_tg: 100, green_tg: 0}),
                (RULE, {blue_tg: 0, green_tg: 100}),
            ]
            green_tasks = runtime.started[2:]
            assert set(proxy.targets["green"]) == {a.rsplit("/", 1)[-1] for a in green_tasks}
            assert set(stopped_at) == set(blue_tasks)
            shifted = rules.calls[-1][0]
            # 1 minute of bake time at scale 0.01: 0.6 s before blue is stopped
            assert min(stopped_at.values()) - shifted >= 60 * SCALE
            deployment = svc.primary
            assert deployment.lifecycle.status.value == "SUCCESSFUL"
            assert driver.errors == []
    finally:
        driver.stop()
