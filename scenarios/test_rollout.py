"""A rolling update through boto3 moves real containers behind the real HAProxy.

The emulator runs in this process (API on 127.0.0.1, driver loop, docker runtime,
HAProxy on the local cloud's network) at time scale 0.05, so AWS's 30 s health check
interval becomes 1.5 s here. While a bounded client keeps POSTing through the
listener, ``forceNewDeployment`` replaces every task serving model A with one serving
model B: no request may fail, every answer after the rollout is B, and the number of
running tasks stays inside the deployment configuration's bounds throughout.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import WaiterError

from harness.ecs.emulator.emulator import Emulator
from harness.images.registry import PushedImage
from harness.pipeline.model_pipeline import release_model
from harness.pipeline.service_pipeline import serving_environment

from .conftest import Isolation, LocalCloud

pytestmark = [pytest.mark.docker, pytest.mark.timeout(600)]

TIME_SCALE = 0.05
DESIRED = 2
LISTENER_PORT = 8080
DEREGISTRATION_DELAY_S = 20
WAIT = {"Delay": 0.5, "MaxAttempts": 240}
ROW = {"instances": [[5.9, 3.0, 5.1, 1.8]]}


@pytest.fixture
def emulator(local_cloud: LocalCloud) -> Iterator[Emulator]:
    settings = local_cloud.settings.model_copy(update={"time_scale": TIME_SCALE})
    with Emulator(settings, listener_ports=(LISTENER_PORT,)) as running:
        yield running


def _client(kind: str, emulator: Emulator) -> Any:
    return boto3.client(kind, endpoint_url=emulator.endpoint_url, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test")


@dataclass
class Load:
    """Bounded client traffic (<= 3000 requests, <= 150 s) through the listener."""

    url: str
    versions: list[tuple[float, str]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        session, deadline = requests.Session(), time.monotonic() + 150
        for _ in range(3000):
            if self.stop.is_set() or time.monotonic() > deadline:
                return
            try:
                answer = session.post(self.url + "/predict", json=ROW, timeout=10)
                if answer.status_code == 200:
                    self.versions.append((time.monotonic(), answer.headers["X-Model-Version"]))
                else:
                    self.failures.append(f"{answer.status_code} {answer.text[:80]}")
            except requests.RequestException as exc:
                self.failures.append(repr(exc))
            time.sleep(0.02)


def _wait_stable(ecs: Any, elbv2: Any, emulator: Emulator, tg_arn: str) -> None:
    """boto3's ``services_stable`` waiter; on failure, say what the service went through."""
    try:
        ecs.get_waiter("services_stable").wait(cluster="rollout", services=["model"],
                                               WaiterConfig=WAIT)
    except WaiterError as exc:
        service = ecs.describe_services(cluster="rollout", services=["model"])["services"][0]
        events = [e["message"] for e in reversed(service["events"])]
        health = elbv2.describe_target_health(TargetGroupArn=tg_arn)
        arns = [*ecs.list_tasks(cluster="rollout")["taskArns"],
                *ecs.list_tasks(cluster="rollout", desiredStatus="STOPPED")["taskArns"]]
        tasks = [(t["taskArn"][-6:], t["lastStatus"], t.get("healthStatus"),
                  t.get("stoppedReason"), [c.get("exitCode") for c in t["containers"]])
                 for t in (ecs.describe_tasks(cluster="rollout", tasks=arns)["tasks"]
                           if arns else [])]
        raise AssertionError(
            f"not stable: {exc}\ndeployments {service['deployments']}\nevents {events}\n"
            f"targets {health['TargetHealthDescriptions']}\ntasks {tasks}\n"
            f"driver errors {emulator.driver.errors}"  # type: ignore[union-attr]
        ) from exc


def _until_completed(ecs: Any, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        service = ecs.describe_services(cluster="rollout", services=["model"])["services"][0]
        if [d["rolloutState"] for d in service["deployments"]] == ["COMPLETED"]:
            return
        time.sleep(0.2)
    raise AssertionError(f"the first deployment did not complete in {timeout_s} s")


def test_force_new_deployment_swaps_the_model_with_zero_failed_requests(
    local_cloud: LocalCloud, serving_image: PushedImage, isolation: Isolation,
    emulator: Emulator,
) -> None:
    settings = local_cloud.settings
    model_a = release_model(local_cloud.store, isolation.model_name, regularization=1.0)
    ecs, elbv2 = _client("ecs", emulator), _client("elbv2", emulator)

    lb_arn = elbv2.create_load_balancer(Name=f"alb-{isolation.suffix}")["LoadBalancers"][0][
        "LoadBalancerArn"]
    tg_arn = elbv2.create_target_group(
        Name=f"tg-{isolation.suffix}", Protocol="HTTP", Port=8080, TargetType="ip",
        HealthCheckPath="/v2/health/ready", HealthCheckIntervalSeconds=30,
        HealthCheckTimeoutSeconds=20, HealthyThresholdCount=2, UnhealthyThresholdCount=2,
    )["TargetGroups"][0]["TargetGroupArn"]
    elbv2.modify_target_group_attributes(TargetGroupArn=tg_arn, Attributes=[
        {"Key": "deregistration_delay.timeout_seconds",
         "Value": str(DEREGISTRATION_DELAY_S)}])  # 1 s scaled
    elbv2.create_listener(LoadBalancerArn=lb_arn, Protocol="HTTP", Port=LISTENER_PORT,
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn}])
    ecs.create_cluster(clusterName="rollout")
    environment = serving_environment(
        settings, local_cloud.store.uri(isolation.model_name, "latest"), "ecs-task")
    ecs.register_task_definition(family=f"serving-{isolation.suffix}", containerDefinitions=[{
        "name": "serving", "image": serving_image.by_digest, "memory": 512,
        "portMappings": [{"containerPort": settings.serving_port}],
        "environment": [{"name": k, "value": v} for k, v in environment.items()],
        "stopTimeout": 20,
    }])
    ecs.create_service(
        cluster="rollout", serviceName="model", taskDefinition=f"serving-{isolation.suffix}",
        desiredCount=DESIRED, loadBalancers=[{"targetGroupArn": tg_arn,
                                              "containerName": "serving",
                                              "containerPort": settings.serving_port}],
        deploymentConfiguration={"maximumPercent": 200, "minimumHealthyPercent": 100},
        # 10 s scaled: the app needs ~1 s to load its model, more on a busy machine.
        healthCheckGracePeriodSeconds=200,
    )
    _wait_stable(ecs, elbv2, emulator, tg_arn)
    assert not emulator.driver.errors  # type: ignore[union-attr]

    # services_stable counts RUNNING tasks, as on AWS; a rollout from a deployment whose
    # targets are not yet healthy may stop them early, so start from a COMPLETED one.
    _until_completed(ecs)
    url = emulator.listener_url(LISTENER_PORT)
    before = [requests.post(url + "/predict", json=ROW, timeout=10) for _ in range(6)]
    assert [r.status_code for r in before] == [200] * 6
    assert {r.headers["X-Model-Version"] for r in before} == {model_a.manifest.version}

    first_tasks = ecs.list_tasks(cluster="rollout", serviceName="model")["taskArns"]
    model_b = release_model(local_cloud.store, isolation.model_name, regularization=0.02)
    load = Load(url)
    sender = threading.Thread(target=load.run)
    sender.start()
    counts: list[int] = []
    watching = threading.Event()

    def watch() -> None:
        while not watching.is_set():
            service = ecs.describe_services(cluster="rollout", services=["model"])["services"][0]
            counts.append(service["runningCount"])
            if service["runningCount"] < DESIRED:
                arns = ecs.list_tasks(cluster="rollout")["taskArns"]
                tasks = ecs.describe_tasks(cluster="rollout", tasks=arns)["tasks"] if arns else []
                print("LOW", [(d["status"], d["runningCount"], d["pendingCount"])
                              for d in service["deployments"]],
                      [(t["taskArn"][-4:], t["lastStatus"], t["desiredStatus"]) for t in tasks])
            time.sleep(0.1)

    watcher = threading.Thread(target=watch)
    watcher.start()
    began = time.monotonic()
    try:
        time.sleep(0.5)
        ecs.update_service(cluster="rollout", service="model", forceNewDeployment=True)
        time.sleep(1.0)  # the waiter must not see the old, already stable state
        _wait_stable(ecs, elbv2, emulator, tg_arn)
        finished = time.monotonic()
        time.sleep(1.0)
    finally:
        load.stop.set()
        watching.set()
        sender.join(timeout=30)
        watcher.join(timeout=10)

    rollout_s = finished - began
    service = ecs.describe_services(cluster="rollout", services=["model"])["services"][0]
    for event in reversed(service["events"]):
        print(event["createdAt"].strftime("%H:%M:%S.%f")[:-3], event["message"][:140])
    print(f"\nrollout {rollout_s:.1f} s; requests {len(load.versions) + len(load.failures)}, "
          f"failed {len(load.failures)}; running counts seen {sorted(set(counts))}")
    # Lower bound: a new target passes one check (<= 1.5 s) and an old one drains 1 s.
    assert rollout_s >= DEREGISTRATION_DELAY_S * TIME_SCALE
    assert load.failures == [], load.failures[:5]
    assert len(load.versions) > 50
    after = [v for t, v in load.versions if t > finished]
    assert after and set(after) == {model_b.manifest.version}
    assert {v for _, v in load.versions} == {model_a.manifest.version, model_b.manifest.version}
    assert all(DESIRED <= c <= 2 * DESIRED for c in counts), sorted(set(counts))
    assert not emulator.driver.errors  # type: ignore[union-attr]
    kept = emulator.runtime.logs(first_tasks[0])
    assert kept["serving"].strip(), "a stopped task's logs are kept after its container is gone"
    service = ecs.describe_services(cluster="rollout", services=["model"])["services"][0]
    assert [d["rolloutState"] for d in service["deployments"]] == ["COMPLETED"]
    assert any("deployment completed" in e["message"] for e in service["events"])
