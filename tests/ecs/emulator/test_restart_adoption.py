"""Adopting what a previous emulator left (emulator/restart_adoption.py), with the engine faked.

The pure plan has its own tests (test_scheduler_adoption.py); these check the effects
around it: adopted tasks join their service's scheduler, unadopted containers are
removed, and the balancer is handed the adopted targets to take over without a reload.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from harness.ecs.control_plane import ECS_OPERATIONS, ELBV2_OPERATIONS, ControlPlane
from harness.ecs.control_plane.scheduler_adapter import service_scheduler_factory
from harness.ecs.domain import TaskStatus
from harness.ecs.emulator.elbv2_sync import AdoptedTarget
from harness.ecs.emulator.restart_adoption import adopt_left_behind
from harness.ecs.scheduler.adoption_plan import FoundContainer
from harness.ecs.scheduler.settings import SchedulerSettings


class FakeClock:
    def now(self) -> float:
        return 1_700_000_000.0


class FakeRuntime:
    """What the docker runtime reports at start, and what it is asked to remove."""

    def __init__(self, found: list[FoundContainer], ips: Mapping[str, str]) -> None:
        self.found = found
        self.ips = ips
        self.removed: list[str] = []

    def left_behind(self) -> list[FoundContainer]:
        return self.found

    def left_behind_ip(self, container_id: str) -> str:
        return self.ips[container_id]

    def remove_containers(self, container_ids: Iterable[str]) -> None:
        self.removed.extend(container_ids)


class FakeTargets:
    def __init__(self) -> None:
        self.resumed: dict[str, list[AdoptedTarget]] | None = None

    def resume(self, targets: Mapping[str, Iterable[AdoptedTarget]]) -> None:
        self.resumed = {arn: list(found) for arn, found in targets.items()}


def service_behind_a_target_group() -> tuple[ControlPlane, dict[str, Any]]:
    factory = service_scheduler_factory(FakeClock(), SchedulerSettings())
    cp = ControlPlane(clock=FakeClock().now, scheduler_factory=factory)
    tg = cp.call(
        ELBV2_OPERATIONS["CreateTargetGroup"],
        {"Name": "web", "Protocol": "HTTP", "Port": 8080, "TargetType": "ip"},
    )["TargetGroups"][0]["TargetGroupArn"]
    lb = cp.call(ELBV2_OPERATIONS["CreateLoadBalancer"], {"Name": "alb"})["LoadBalancers"][0]
    cp.call(
        ELBV2_OPERATIONS["CreateListener"],
        {
            "LoadBalancerArn": lb["LoadBalancerArn"],
            "Port": 80,
            "DefaultActions": [{"Type": "forward", "TargetGroupArn": tg}],
        },
    )
    cp.call(ECS_OPERATIONS["CreateCluster"], {"clusterName": "prod"})
    definition = cp.call(
        ECS_OPERATIONS["RegisterTaskDefinition"],
        {
            "family": "web",
            "containerDefinitions": [
                {"name": "app", "image": "app:1", "portMappings": [{"containerPort": 8080}]}
            ],
        },
    )["taskDefinition"]
    service = cp.call(
        ECS_OPERATIONS["CreateService"],
        {
            "cluster": "prod",
            "serviceName": "web",
            "taskDefinition": definition["taskDefinitionArn"],
            "desiredCount": 1,
            "loadBalancers": [
                {"targetGroupArn": tg, "containerName": "app", "containerPort": 8080}
            ],
        },
    )["service"]
    return cp, {"tg": tg, "service": service, "definition": definition}


def test_left_tasks_join_their_service_strays_are_removed_targets_are_resumed() -> None:
    cp, made = service_behind_a_target_group()
    task_arn = "arn:aws:ecs:us-east-1:000000000000:task/prod/" + "b" * 32
    kept = FoundContainer(
        container_id="kept",
        running=True,
        task_arn=task_arn,
        cluster_arn=made["service"]["clusterArn"],
        service_name="web",
        task_definition_arn=made["definition"]["taskDefinitionArn"],
        container_name="app",
        started_at=1_699_999_000.0,
    )
    stray = FoundContainer(container_id="stray", running=True)  # no labels: not a task
    runtime, targets = FakeRuntime([kept, stray], {"kept": "172.18.0.9"}), FakeTargets()

    plan = adopt_left_behind(cp, runtime, targets)  # type: ignore[arg-type]

    assert [t.task_arn for t in plan.adopt] == [task_arn]
    assert runtime.removed == ["stray"]
    assert targets.resumed == {made["tg"]: [(task_arn, "172.18.0.9", 8080)]}
    (handle,) = cp.schedulers()
    adopted = next(t for t in handle.tasks if t.task_arn == task_arn)
    assert adopted.last_status is TaskStatus.RUNNING
    assert adopted.started_at == 1_699_999_000.0
    assert adopted.containers[0].runtime_id == "kept"


def test_nothing_left_behind_changes_nothing() -> None:
    cp, _ = service_behind_a_target_group()
    runtime, targets = FakeRuntime([], {}), FakeTargets()

    plan = adopt_left_behind(cp, runtime, targets)  # type: ignore[arg-type]

    assert (plan.adopt, plan.remove, runtime.removed) == ((), (), [])
    assert targets.resumed == {}
    (handle,) = cp.schedulers()
    assert handle.tasks == [], "no task until the scheduler's first step starts one"
