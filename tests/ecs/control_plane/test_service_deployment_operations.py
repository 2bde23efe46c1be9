"""Service deployments and revisions through boto3 against the API (InstantScheduler).

The scheduler keeps ``Deployment.lifecycle``; here a test plays the strategy reconciler
and sets it, then reads what DescribeServiceDeployments makes of it. Stop and Continue
reach a scheduler subclass that records the intentions it gets.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from harness.ecs.api import ApiServer
from harness.ecs.control_plane import ControlPlane
from harness.ecs.control_plane.service_deployment_operations import keep_outcomes
from harness.ecs.domain import (
    Deployment,
    HookAction,
    HookRun,
    HookStatus,
    HookTargetType,
    LifecycleHook,
    LifecycleStage,
    ServiceDeploymentStatus,
    StopType,
)
from harness.ecs.scheduler.actions import StartTask, StopTask
from harness.ecs.scheduler.observations import TaskRunning, TaskStopped
from tests.ecs.api_clients import CREDENTIALS
from tests.ecs.conftest import FakeClock
from tests.ecs.control_plane.test_journal_deployments import Incarnation, set_up
from tests.ecs.controllable_scheduler import ControllableScheduler, controllable_plane

ROLE = "arn:aws:iam::000000000000:role/ecs"
LAMBDA = "arn:aws:lambda:us-east-1:000000000000:function:smoke-test"


@pytest.fixture
def plane() -> ControlPlane:
    return controllable_plane()


@pytest.fixture
def server(plane: ControlPlane) -> Iterator[ApiServer]:
    with ApiServer(plane) as srv:
        yield srv


@pytest.fixture
def ecs(server: ApiServer) -> Any:
    return boto3.client("ecs", endpoint_url=server.endpoint_url, **CREDENTIALS)


@pytest.fixture
def elbv2(server: ApiServer) -> Any:
    return boto3.client("elbv2", endpoint_url=server.endpoint_url, **CREDENTIALS)


def code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return excinfo.value.response["Error"]["Code"]


def register(ecs: Any, image: str) -> str:
    return ecs.register_task_definition(
        family="web",
        containerDefinitions=[
            {"name": "app", "image": image, "portMappings": [{"containerPort": 8080}]}
        ],
    )["taskDefinition"]["taskDefinitionArn"]


def rolling_service(ecs: Any) -> None:
    ecs.create_cluster(clusterName="c")
    ecs.create_service(
        cluster="c", serviceName="web", taskDefinition=register(ecs, "app:1"), desiredCount=2
    )


def canary_service(ecs: Any, elbv2: Any) -> dict[str, Any]:
    ecs.create_cluster(clusterName="c")
    blue, green = (
        elbv2.create_target_group(
            Name=name, Protocol="HTTP", Port=8080, VpcId="vpc-1", TargetType="ip"
        )["TargetGroups"][0]["TargetGroupArn"]
        for name in ("blue", "green")
    )
    lb = elbv2.create_load_balancer(Name="lb", Subnets=["s-1", "s-2"])
    listener = elbv2.create_listener(
        LoadBalancerArn=lb["LoadBalancers"][0]["LoadBalancerArn"],
        Port=80,
        Protocol="HTTP",
        DefaultActions=[{"Type": "forward", "TargetGroupArn": blue}],
    )["Listeners"][0]["ListenerArn"]
    rule = elbv2.describe_rules(ListenerArn=listener)["Rules"][0]["RuleArn"]
    return ecs.create_service(
        cluster="c",
        serviceName="web",
        taskDefinition=register(ecs, "app:1"),
        desiredCount=2,
        loadBalancers=[
            {
                "targetGroupArn": blue,
                "containerName": "app",
                "containerPort": 8080,
                "advancedConfiguration": {
                    "alternateTargetGroupArn": green,
                    "productionListenerRule": rule,
                    "roleArn": ROLE,
                },
            }
        ],
        deploymentConfiguration={
            "strategy": "CANARY",
            "canaryConfiguration": {"canaryPercent": 5.0, "canaryBakeTimeInMinutes": 2},
            "bakeTimeInMinutes": 1,
            "alarms": {"alarmNames": ["green-5xx"], "enable": True, "rollback": True},
            "lifecycleHooks": [
                {"targetType": "PAUSE", "lifecycleStages": ["POST_SCALE_UP"]},
                {
                    "hookTargetArn": LAMBDA,
                    "roleArn": ROLE,
                    "lifecycleStages": ["PRODUCTION_TRAFFIC_SHIFT"],
                    "hookDetails": {"min_accuracy": 0.9},
                },
            ],
        },
    )["service"]


def primary(plane: ControlPlane) -> Deployment:
    return plane.services.find("c", "web").handle.service.primary


def arns_of(ecs: Any, **filters: Any) -> list[str]:
    listed = ecs.list_service_deployments(cluster="c", service="web", **filters)
    return [d["serviceDeploymentArn"] for d in listed["serviceDeployments"]]


# --- ROLLING -----------------------------------------------------------------------------


def test_rolling_deployments_are_listed_newest_first_with_their_revisions(ecs: Any) -> None:
    rolling_service(ecs)
    ecs.update_service(cluster="c", service="web", taskDefinition=register(ecs, "app:2"))
    listed = ecs.list_service_deployments(cluster="c", service="web")["serviceDeployments"]
    assert [d["status"] for d in listed] == ["SUCCESSFUL", "SUCCESSFUL"]
    newest, oldest = listed
    assert newest["createdAt"] >= oldest["createdAt"]
    assert newest["serviceDeploymentArn"].startswith(
        "arn:aws:ecs:us-east-1:000000000000:service-deployment/c/web/"
    )
    assert newest["targetServiceRevisionArn"].startswith(
        "arn:aws:ecs:us-east-1:000000000000:service-revision/c/web/"
    )
    described = ecs.describe_service_deployments(
        serviceDeploymentArns=[newest["serviceDeploymentArn"]]
    )["serviceDeployments"][0]
    assert described["sourceServiceRevisions"][0]["arn"] == oldest["targetServiceRevisionArn"]
    assert described["targetServiceRevision"]["requestedTaskCount"] == 2
    assert "requestedProductionTrafficWeight" not in described["targetServiceRevision"]
    assert described["deploymentConfiguration"]["strategy"] == "ROLLING"
    assert described["alarms"]["status"] == "DISABLED"
    revisions = ecs.describe_service_revisions(
        serviceRevisionArns=[newest["targetServiceRevisionArn"], oldest["targetServiceRevisionArn"]]
    )["serviceRevisions"]
    assert [r["containerImages"] for r in revisions] == [
        [{"containerName": "app", "image": "app:2"}],
        [{"containerName": "app", "image": "app:1"}],
    ]
    assert revisions[0]["taskDefinition"].endswith("task-definition/web:2")


def test_list_filters_by_status_and_creation_time_and_pages(ecs: Any) -> None:
    rolling_service(ecs)
    for _ in range(2):
        ecs.update_service(cluster="c", service="web", forceNewDeployment=True)
    assert len(arns_of(ecs)) == 3
    assert arns_of(ecs, status=["IN_PROGRESS", "STOPPED"]) == []
    assert len(arns_of(ecs, status=["SUCCESSFUL"])) == 3
    future = datetime.now(UTC) + timedelta(hours=1)
    assert arns_of(ecs, createdAt={"after": future}) == []
    assert len(arns_of(ecs, createdAt={"before": future})) == 3
    first = ecs.list_service_deployments(cluster="c", service="web", maxResults=2)
    rest = ecs.list_service_deployments(
        cluster="c", service="web", maxResults=2, nextToken=first["nextToken"]
    )
    assert len(first["serviceDeployments"]) == 2 and "nextToken" not in rest
    assert [d["serviceDeploymentArn"] for d in first["serviceDeployments"]] + [
        d["serviceDeploymentArn"] for d in rest["serviceDeployments"]
    ] == arns_of(ecs)
    with pytest.raises(ClientError) as excinfo:
        ecs.list_service_deployments(cluster="c", service="web", maxResults=101)
    assert code(excinfo) == "InvalidParameterException"


def test_unknown_arns_are_failures_and_unknown_services_errors(ecs: Any) -> None:
    rolling_service(ecs)
    ghost = "arn:aws:ecs:us-east-1:000000000000:service-deployment/c/web/nope"
    out = ecs.describe_service_deployments(serviceDeploymentArns=[ghost])
    assert out["failures"] == [{"arn": ghost, "reason": "MISSING"}]
    revision = ghost.replace("service-deployment", "service-revision")
    out = ecs.describe_service_revisions(serviceRevisionArns=[revision])
    assert out["failures"] == [{"arn": revision, "reason": "MISSING"}]
    with pytest.raises(ClientError) as excinfo:
        ecs.list_service_deployments(cluster="c", service="ghost")
    assert code(excinfo) == "ServiceNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        ecs.describe_service_deployments(serviceDeploymentArns=[ghost] * 21)
    assert code(excinfo) == "InvalidParameterException"


# --- strategies: what the scheduler keeps, shown ------------------------------------------


def test_a_canary_in_progress_shows_stage_weights_hooks_and_alarms(
    ecs: Any, elbv2: Any, plane: ControlPlane
) -> None:
    service = canary_service(ecs, elbv2)
    assert service["deploymentConfiguration"]["canaryConfiguration"] == {
        "canaryPercent": 5.0,
        "canaryBakeTimeInMinutes": 2,
    }
    assert service["loadBalancers"][0]["advancedConfiguration"]["roleArn"] == ROLE
    ecs.update_service(cluster="c", service="web", taskDefinition=register(ecs, "app:2"))
    green = primary(plane)
    pause, smoke = plane.services.find(
        "c", "web"
    ).handle.service.deployment_configuration.lifecycle_hooks
    now = datetime.now(UTC).timestamp()
    lifecycle = green.lifecycle  # what the CANARY reconciler keeps current
    lifecycle.status = ServiceDeploymentStatus.ROLLBACK_IN_PROGRESS
    lifecycle.stage = LifecycleStage.PRODUCTION_TRAFFIC_SHIFT
    lifecycle.started_at = now
    lifecycle.production_traffic_weight = 5.0
    lifecycle.hooks = [
        HookRun("h-1", pause, LifecycleStage.POST_SCALE_UP, HookStatus.SUCCEEDED, now),
        HookRun(
            "h-2", smoke, LifecycleStage.PRODUCTION_TRAFFIC_SHIFT, HookStatus.IN_PROGRESS, now,
            expires_at=now + 86400,
        ),
    ]  # fmt: skip
    lifecycle.triggered_alarm_names = ("green-5xx",)
    lifecycle.rollback_reason = "Alarm green-5xx is in ALARM."
    lifecycle.rollback_started_at = now
    arn = arns_of(ecs)[0]
    shown = ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]
    assert (shown["status"], shown["lifecycleStage"]) == (
        "ROLLBACK_IN_PROGRESS",
        "PRODUCTION_TRAFFIC_SHIFT",
    )
    assert shown["targetServiceRevision"]["requestedProductionTrafficWeight"] == 5.0
    assert shown["sourceServiceRevisions"][0]["requestedProductionTrafficWeight"] == 95.0
    assert [(h["hookId"], h["targetType"], h["status"]) for h in shown["lifecycleHookDetails"]] == [
        ("h-1", "PAUSE", "SUCCEEDED"),
        ("h-2", "AWS_LAMBDA", "IN_PROGRESS"),
    ]
    assert shown["lifecycleHookDetails"][1]["targetArn"] == LAMBDA
    assert shown["lifecycleHookDetails"][1]["timeoutAction"] == "ROLLBACK"  # AWS's default
    assert shown["alarms"] == {
        "status": "TRIGGERED",
        "alarmNames": ["green-5xx"],
        "triggeredAlarmNames": ["green-5xx"],
    }
    assert shown["rollback"]["reason"] == "Alarm green-5xx is in ALARM."
    assert shown["rollback"]["serviceRevisionArn"] == shown["sourceServiceRevisions"][0]["arn"]


def test_a_paused_hook_is_awaiting_action_and_continue_reaches_the_scheduler(
    ecs: Any, elbv2: Any, plane: ControlPlane
) -> None:
    canary_service(ecs, elbv2)
    deployment = primary(plane)
    pause = plane.services.find("c", "web").handle.service.deployment_configuration.lifecycle_hooks[
        0
    ]
    deployment.lifecycle.status = ServiceDeploymentStatus.IN_PROGRESS
    deployment.lifecycle.stage = LifecycleStage.POST_SCALE_UP
    deployment.lifecycle.hooks = [
        HookRun("h-9", pause, LifecycleStage.POST_SCALE_UP, HookStatus.IN_PROGRESS, 0.0)
    ]
    arn = arns_of(ecs)[0]
    shown = ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]
    assert shown["lifecycleHookDetails"][0]["status"] == "AWAITING_ACTION"
    assert "targetArn" not in shown["lifecycleHookDetails"][0]
    ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId="h-9")
    ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId="h-9", action="ROLLBACK")
    assert ControllableScheduler.calls == [
        ("continue", "h-9", HookAction.CONTINUE),
        ("continue", "h-9", HookAction.ROLLBACK),
    ]
    with pytest.raises(ClientError) as excinfo:
        ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId="h-0")
    assert code(excinfo) == "InvalidParameterException"
    deployment.lifecycle.hooks[0].status = HookStatus.SUCCEEDED
    with pytest.raises(ClientError) as excinfo:
        ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId="h-9")
    assert code(excinfo) == "ConflictException"


def test_continue_answers_a_pause_as_the_scheduler_keeps_it_awaiting_action(
    ecs: Any, elbv2: Any, plane: ControlPlane
) -> None:
    """The scheduler marks a waiting PAUSE AWAITING_ACTION (lifecycle_hooks.py); Continue
    refused exactly that with "not awaiting action: its status is AWAITING_ACTION"."""
    canary_service(ecs, elbv2)
    deployment = primary(plane)
    service = plane.services.find("c", "web").handle.service
    pause = service.deployment_configuration.lifecycle_hooks[0]
    deployment.lifecycle.status = ServiceDeploymentStatus.IN_PROGRESS
    deployment.lifecycle.stage = LifecycleStage.POST_SCALE_UP
    deployment.lifecycle.hooks = [
        HookRun("h-7", pause, LifecycleStage.POST_SCALE_UP, HookStatus.AWAITING_ACTION, 0.0)
    ]
    arn = arns_of(ecs)[0]
    shown = ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]
    assert shown["lifecycleHookDetails"][0]["status"] == "AWAITING_ACTION"
    ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId="h-7", action="ROLLBACK")
    assert ControllableScheduler.calls == [("continue", "h-7", HookAction.ROLLBACK)]


def test_continue_refuses_a_lambda_hook(ecs: Any, elbv2: Any, plane: ControlPlane) -> None:
    canary_service(ecs, elbv2)
    deployment = primary(plane)
    smoke = LifecycleHook(
        target_type=HookTargetType.AWS_LAMBDA,
        lifecycle_stages=(LifecycleStage.PRODUCTION_TRAFFIC_SHIFT,),
        hook_target_arn=LAMBDA,
    )
    deployment.lifecycle.status = ServiceDeploymentStatus.IN_PROGRESS
    deployment.lifecycle.hooks = [
        HookRun("h-1", smoke, LifecycleStage.PRODUCTION_TRAFFIC_SHIFT, HookStatus.IN_PROGRESS, 0.0)
    ]
    with pytest.raises(ClientError) as excinfo:
        ecs.continue_service_deployment(serviceDeploymentArn=arns_of(ecs)[0], hookId="h-1")
    assert code(excinfo) == "InvalidParameterException"
    assert ControllableScheduler.calls == []


# --- StopServiceDeployment ----------------------------------------------------------------


def test_stop_reaches_the_scheduler_with_rollback_by_default(ecs: Any, plane: ControlPlane) -> None:
    rolling_service(ecs)
    primary(plane).lifecycle.status = ServiceDeploymentStatus.IN_PROGRESS
    arn = arns_of(ecs)[0]
    assert ecs.stop_service_deployment(serviceDeploymentArn=arn)["serviceDeploymentArn"] == arn
    ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ABORT")
    assert ControllableScheduler.calls == [("stop", StopType.ROLLBACK), ("stop", StopType.ABORT)]


def test_a_finished_or_unknown_deployment_cannot_be_stopped(ecs: Any) -> None:
    rolling_service(ecs)
    arn = arns_of(ecs)[0]  # the InstantScheduler completed it at once
    with pytest.raises(ClientError) as excinfo:
        ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
    assert code(excinfo) == "ConflictException"
    assert "SUCCESSFUL" in excinfo.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as excinfo:
        ecs.stop_service_deployment(serviceDeploymentArn=arn[:-1] + "x", stopType="ROLLBACK")
    assert code(excinfo) == "ServiceDeploymentNotFoundException"
    assert ControllableScheduler.calls == []


# --- restart ---------------------------------------------------------------------------


def run_with_stops(life: Incarnation, seconds: int, crashing: str = "") -> None:
    """Like ``Incarnation.run``, and stopped tasks stop (so a rollout can finish); tasks
    of a task definition ending in ``crashing`` exit 1 as they start."""

    def answer(action: StartTask | StopTask) -> TaskRunning | TaskStopped:
        if isinstance(action, StopTask):
            return TaskStopped(action.task_arn, exit_code=0)
        arn = action.task.task_arn
        if crashing and action.task.task_definition_arn.endswith(crashing):
            return TaskStopped(arn, exit_code=1, reason="Essential container exited")
        return TaskRunning(arn, (("app", "c-" + arn[-6:]),))

    for _ in range(seconds):
        for handle in life.plane.schedulers():
            actions = handle.step()
            while answers := [answer(a) for a in actions if isinstance(a, StartTask | StopTask)]:
                actions = handle.step(answers)
        life.clock.t += 1


def test_service_deployment_arns_and_outcomes_survive_a_restart(tmp_path: Path) -> None:
    clock = FakeClock()
    first = Incarnation(tmp_path / "journal.jsonl", clock)
    set_up(first)
    run_with_stops(first, 120)
    first.call("update_service", cluster="c", service="web", taskDefinition="web:2")
    run_with_stops(first, 240)
    listed = first.call("list_service_deployments", cluster="c", service="web")
    before = [(d["serviceDeploymentArn"], d["status"]) for d in listed["serviceDeployments"]]
    assert [s for _, s in before] == ["SUCCESSFUL", "SUCCESSFUL"]

    second = Incarnation(tmp_path / "journal.jsonl", clock)
    listed = second.call("list_service_deployments", cluster="c", service="web")
    assert [
        (d["serviceDeploymentArn"], d["status"]) for d in listed["serviceDeployments"]
    ] == before


def keeping_outcomes(life: Incarnation) -> Incarnation:
    """Wire outcome keeping as the emulator does: after the replay, on every event."""
    keep_outcomes(life.plane, lambda arn, outcome: None)
    life.bus.subscribe(lambda _e: keep_outcomes(life.plane, life.journal.record_outcome))
    return life


def test_how_a_deployment_ended_survives_a_restart_once(tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    clock = FakeClock()
    first = keeping_outcomes(Incarnation(journal, clock))
    set_up(first)
    run_with_stops(first, 120)
    first.call("update_service", cluster="c", service="web", taskDefinition="web:2")
    lifecycle = first.service.primary.lifecycle  # as a strategy's reconciler would end it
    lifecycle.status = ServiceDeploymentStatus.ROLLBACK_SUCCESSFUL
    lifecycle.status_reason = "Rolled back: alarm green-5xx in ALARM."
    lifecycle.finished_at = clock.t
    keep_outcomes(first.plane, first.journal.record_outcome)  # the next event does this
    listed = first.call("list_service_deployments", cluster="c", service="web")
    before = [(d["serviceDeploymentArn"], d["status"]) for d in listed["serviceDeployments"]]
    assert [s for _, s in before] == ["ROLLBACK_SUCCESSFUL", "SUCCESSFUL"]

    second = keeping_outcomes(Incarnation(journal, clock))
    listed = second.call("list_service_deployments", cluster="c", service="web")
    after = listed["serviceDeployments"]
    assert [(d["serviceDeploymentArn"], d["status"]) for d in after] == before
    assert after[0]["statusReason"] == "Rolled back: alarm green-5xx in ALARM."
    lines = journal.read_text().count("service_deployment_outcome")
    keeping_outcomes(Incarnation(journal, clock))
    assert journal.read_text().count("service_deployment_outcome") == lines


def test_a_circuit_breaker_rollback_reads_as_the_failed_deployments_rollback(
    tmp_path: Path,
) -> None:
    life = Incarnation(tmp_path / "journal.jsonl", FakeClock())
    set_up(life)  # circuit breaker with rollback
    run_with_stops(life, 120)
    life.call("update_service", cluster="c", service="web", taskDefinition="web:2")
    run_with_stops(life, 3, crashing="web:2")

    def shown() -> list[dict[str, Any]]:
        listed = life.call("list_service_deployments", cluster="c", service="web")
        arns = [d["serviceDeploymentArn"] for d in listed["serviceDeployments"]]
        return life.call("describe_service_deployments", serviceDeploymentArns=arns)[
            "serviceDeployments"
        ]

    failed, good = shown()  # the old tasks never left: back to steady at once
    assert (failed["status"], good["status"]) == ("ROLLBACK_SUCCESSFUL", "SUCCESSFUL")
    assert failed["deploymentCircuitBreaker"]["status"] == "TRIGGERED"
    assert failed["deploymentCircuitBreaker"]["failureCount"] >= 3
    assert failed["rollback"]["serviceRevisionArn"] == good["targetServiceRevision"]["arn"]
    assert "circuit breaker" in failed["rollback"]["reason"]
