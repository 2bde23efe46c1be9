"""A restart keeps which target group of a blue/green pair holds production.

The first incarnation's scheduler publishes ``TargetGroupRolesSwapped`` when a
blue/green deployment completes (tested in ``tests/ecs/scheduler/test_target_group_roles``);
here the journal keeps it, a replay restores it, and a task adopted after the restart
registers in the production group, not in the one the service was created with.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.ecs import events as ev
from harness.ecs.control_plane.ecs_operations import describe_services
from harness.ecs.control_plane.elbv2_operations import ELBV2_OPERATIONS
from harness.ecs.scheduler.actions import RegisterTarget
from harness.ecs.scheduler.adoption_plan import FoundContainer, plan_adoption
from tests.ecs.conftest import FakeClock
from tests.ecs.control_plane.test_journal_deployments import Incarnation

ELB = {op.__name__: op for op in ELBV2_OPERATIONS.values()}
ROLE = "arn:aws:iam::000000000000:role/ecs"


def elb(inc: Incarnation, op: str, **request: Any) -> dict[str, Any]:
    return inc.plane.call(ELB[op], request)


def set_up(inc: Incarnation) -> dict[str, str]:
    """A BLUE_GREEN service on blue (production) and green (alternate), revision 1."""
    inc.call("create_cluster", clusterName="c")
    inc.call(
        "register_task_definition",
        family="web",
        containerDefinitions=[
            {"name": "app", "image": "app:1", "memory": 64, "portMappings": [{"containerPort": 80}]}
        ],
    )
    arns = {
        name: elb(
            inc,
            "create_target_group",
            Name=name,
            Protocol="HTTP",
            Port=80,
            VpcId="v",
            TargetType="ip",
        )["TargetGroups"][0]["TargetGroupArn"]
        for name in ("blue", "green")
    }
    lb = elb(inc, "create_load_balancer", Name="lb", Subnets=["s-1", "s-2"])
    listener = elb(
        inc,
        "create_listener",
        LoadBalancerArn=lb["LoadBalancers"][0]["LoadBalancerArn"],
        Port=80,
        Protocol="HTTP",
        DefaultActions=[{"Type": "forward", "TargetGroupArn": arns["blue"]}],
    )["Listeners"][0]["ListenerArn"]
    rule = elb(inc, "describe_rules", ListenerArn=listener)["Rules"][0]["RuleArn"]
    inc.call(
        "create_service",
        cluster="c",
        serviceName="web",
        taskDefinition="web:1",
        desiredCount=1,
        deploymentConfiguration={"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0},
        loadBalancers=[balancer(arns["blue"], arns["green"], rule)],
    )
    return arns


def balancer(target_group: str, alternate: str, rule: str) -> dict[str, Any]:
    """A ``loadBalancers[]`` entry as a user writes it."""
    return {
        "targetGroupArn": target_group,
        "containerName": "app",
        "containerPort": 80,
        "advancedConfiguration": {
            "alternateTargetGroupArn": alternate,
            "productionListenerRule": rule,
            "roleArn": ROLE,
        },
    }


def shown(inc: Incarnation) -> tuple[str, str]:
    service = inc.plane.call(describe_services, {"cluster": "c", "services": ["web"]})
    lb = service["services"][0]["loadBalancers"][0]
    return lb["targetGroupArn"], lb["advancedConfiguration"]["alternateTargetGroupArn"]


def test_a_restart_keeps_the_production_group_and_adoption_registers_there(
    tmp_path: Path,
) -> None:
    clock = FakeClock()
    journal = tmp_path / "journal.jsonl"
    first = Incarnation(journal, clock)
    arns = set_up(first)
    deployment = first.service.primary.id
    # what the scheduler publishes when a blue/green deployment completes in green
    first.bus.publish(ev.TargetGroupRolesSwapped("web", clock.now(), deployment, (arns["green"],)))

    second = Incarnation(journal, clock)
    assert shown(second) == (arns["green"], arns["blue"])

    handle = second.plane.schedulers()[0]
    found = FoundContainer(
        "id-1", True, "arn:aws:ecs:us-east-1:000000000000:task/c/abc", second.service.cluster_arn,
        "web", second.service.task_definition, "app", clock.now() - 30, deployment,
    )  # fmt: skip
    plan = plan_adoption([found], [second.service], lambda _arn: ["app"])
    assert [t.deployment_id for t in plan.adopt] == [deployment]
    task = plan.adopt[0]
    handle.adopt(task.task_arn, task.deployment_id, task.started_at, task.container_ids)
    registered = {a.target_group_arn for a in handle.step() if isinstance(a, RegisterTarget)}
    assert registered == {arns["green"]}


def test_naming_the_pair_the_other_way_round_in_update_service_keeps_the_roles(
    tmp_path: Path,
) -> None:
    clock = FakeClock()
    inc = Incarnation(tmp_path / "journal.jsonl", clock)
    arns = set_up(inc)
    inc.bus.publish(
        ev.TargetGroupRolesSwapped("web", clock.now(), inc.service.primary.id, (arns["green"],))
    )
    inc = Incarnation(tmp_path / "journal.jsonl", clock)
    lb = inc.service.load_balancers[0]
    assert lb.advanced_configuration is not None
    # the configuration as first written (blue as targetGroupArn), sent again
    inc.call(
        "update_service",
        cluster="c",
        service="web",
        loadBalancers=[
            balancer(
                arns["blue"], arns["green"], lb.advanced_configuration.production_listener_rule
            )
        ],
    )
    assert shown(inc) == (arns["green"], arns["blue"])
    assert shown(Incarnation(tmp_path / "journal.jsonl", clock)) == (arns["green"], arns["blue"])
