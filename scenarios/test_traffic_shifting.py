"""BLUE_GREEN, LINEAR and CANARY deployments of Drydock's serving image, under load.

One service per test, made by the scenario kit with a green target group, a production
listener rule and a test listener (:class:`~harness.testing.traffic_shifting.TrafficShifting`);
a new task definition revision is deployed while clients keep sending to the production
listener. Which fleet answered is told by ``X-Task-Id``: blue is every task that ran
before the deployment. Green's share per production step is measured between the
scheduler's ``TrafficShifted`` events (the report's own step logic). Durations are
AWS minutes at the kit's time scale (0.05: one minute is 3 s).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from harness.ecs.emulator.emulator import Emulator
from harness.images.registry import PushedImage
from harness.testing import ClientLoad, Isolation, LocalCloud
from harness.testing.alarms import put_target_5xx_alarm, wait_for_alarm_state
from harness.testing.clients import aws_cli, aws_client
from harness.testing.load import varied_iris_bodies
from harness.testing.service import EcsService
from harness.testing.serving import serving_service
from harness.testing.traffic_shifting import ROLE_ARN, TEST_LISTENER_PORT, TrafficShifting
from harness.testing.traffic_watch import (
    BLUE,
    GREEN,
    TrafficWatch,
    service_deployments,
    wait_service_deployment,
)
from serving.faults import SERVER_ERROR_SHARE_VARIABLE, ServerErrorFault

pytestmark = [pytest.mark.docker, pytest.mark.timeout(600)]

Hook = Callable[[dict[str, Any]], Any]
Rehearse = Callable[..., "Rehearsal"]

STEP_MINUTES = 5  # 15 s at 0.05: room for 2,000 answers in a step on two busy cores
STEP_REQUESTS = 2000
TOLERANCE_PCT = 3.0
LOAD_THREADS = 4


@dataclass
class Rehearsal:
    """A started service with blue healthy, its watch and a way to deploy green."""

    service: EcsService
    watch: TrafficWatch
    emulator: Emulator

    def deploy(self, release: str = "2", environment: dict[str, str] | None = None) -> None:
        """A new revision (same image, another environment): the deployment to watch."""
        env = {
            **self.service.container.environment,
            "DRYDOCK_RELEASE_LABEL": release,
            **(environment or {}),
        }
        self.service.update(environment=env)

    def load(
        self,
        *,
        test_listener: bool = False,
        max_seconds: float = 240.0,
        bodies: Sequence[dict[str, Any]] = (),
    ) -> ClientLoad:
        url = (
            self.emulator.listener_url(TEST_LISTENER_PORT) if test_listener else self.service.lb_url
        )
        return ClientLoad(
            url,
            bodies=bodies,
            threads=LOAD_THREADS,
            pause_s=0.0,
            max_requests=10**7,
            max_seconds=max_seconds,
        )

    def fleets(self, count: int = 40, test_listener: bool = False) -> set[str]:
        """Which fleets answer ``count`` requests now."""
        probe = ClientLoad(
            self.emulator.listener_url(TEST_LISTENER_PORT)
            if test_listener
            else self.service.lb_url,
            threads=2,
            pause_s=0.0,
            max_requests=count,
            max_seconds=30,
        )
        with probe:
            deadline = time.monotonic() + 30
            while len(probe.responses) < count and time.monotonic() < deadline:
                time.sleep(0.05)
        assert not probe.failures, probe.failures[:3]
        return {self.watch.label(r) for r in probe.successes}

    def failures_in_context(self, load: ClientLoad) -> list[str]:
        """Each failed request with the service event just before it: where it happened."""
        events = self.watch.events()
        out = []
        for failure in load.failures[:10]:
            at = self.watch.epoch(failure.at)
            before = [e for e in events if e.at <= at]
            last = f"{at - before[-1].at:.2f} s after {before[-1].message}" if before else "?"
            out.append(f"{failure.error[:80]} {last}")
        return out

    def running_fleets(self) -> set[str]:
        """Fleets with a running task container."""
        hosts = {
            c.id[:12] for c in self.service.task_containers().values() if c.status == "running"
        }
        return {BLUE if h in self.watch.blue_hosts else GREEN for h in hosts}


@pytest.fixture
def rehearse(
    drydock_cloud: LocalCloud,
    drydock_serving_image: PushedImage,
    drydock_isolation: Isolation,
    drydock_emulator: Emulator,
) -> Iterator[Rehearse]:
    """Start a one-task service with a strategy, blue healthy; removed after the test."""
    started: list[EcsService] = []

    def make(shifting: TrafficShifting, hooks: dict[str, Hook] | None = None) -> Rehearsal:
        """``hooks``: a Python callable per lifecycle stage, run as a Lambda hook."""
        service, _ = serving_service(
            drydock_emulator, drydock_isolation, drydock_cloud, drydock_serving_image.by_digest
        )
        for stage, function in (hooks or {}).items():
            arn = service.register_hook(f"{stage.lower()}-{drydock_isolation.suffix}", function)
            shifting.lifecycle_hooks.append(
                {"hookTargetArn": arn, "roleArn": ROLE_ARN, "lifecycleStages": [stage]}
            )
        service.with_desired_count(1).with_strategy(shifting)
        started.append(service.start())
        service.wait_stable()
        service.wait_targets_healthy(1)
        return Rehearsal(service, TrafficWatch(service), drydock_emulator)

    yield make
    for service in started:
        service.stop()
    assert not drydock_emulator.driver.errors  # type: ignore[union-attr]


def _shift_times(watch: TrafficWatch, green_weight: int) -> list[float]:
    return [s.start for s in watch.steps() if s.green_weight == green_weight]


def _stage_time(watch: TrafficWatch, stage: str) -> float:
    return next(e.at for e in watch.events() if f"entered lifecycle stage {stage}." in e.message)


STRATEGIES = {
    "BLUE_GREEN": TrafficShifting("BLUE_GREEN", bake_time_in_minutes=2),
    "LINEAR": TrafficShifting(
        "LINEAR",
        bake_time_in_minutes=2,
        linear_step_percent=50.0,
        linear_step_bake_time_in_minutes=STEP_MINUTES,
    ),
    "CANARY": TrafficShifting(
        "CANARY",
        bake_time_in_minutes=2,
        canary_percent=10.0,
        canary_bake_time_in_minutes=STEP_MINUTES,
    ),
}


@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_a_healthy_release_shifts_by_its_steps_without_a_failed_request(
    rehearse: Rehearse, strategy: str
) -> None:
    world = rehearse(STRATEGIES[strategy])
    with world.load() as load:
        world.deploy()
        done = wait_service_deployment(world.service, status="SUCCESSFUL", timeout_s=240)
        time.sleep(1.0)
    assert load.failures == [], world.failures_in_context(load)
    shares = world.watch.shares(load.responses)
    figures = [(s.step.green_weight, s.answers, s.observed_pct) for s in shares]
    print(f"\n{strategy}: (configured %, answers, observed green %) per step: {figures}")
    weights = [s.step.green_weight for s in shares]
    expected = {"BLUE_GREEN": [0, 100], "LINEAR": [0, 50, 100], "CANARY": [0, 10, 100]}
    assert weights == expected[strategy]
    for share in shares:
        if 0 < share.step.green_weight < 100:
            assert share.answers >= STEP_REQUESTS, figures
        assert share.answers > 0 and (share.deviation_pct or 0) <= TOLERANCE_PCT, figures
    # blue stops only after the bake time that follows the full shift
    full, clean_up = _shift_times(world.watch, 100)[-1], _stage_time(world.watch, "CLEAN_UP")
    bake_s = 2 * 60 * world.emulator.settings.time_scale
    print(f"{strategy}: CLEAN_UP {clean_up - full:.2f} s after the 100 % shift (bake {bake_s} s)")
    assert clean_up - full >= bake_s - 0.05
    assert world.running_fleets() == {GREEN}
    assert done["targetServiceRevision"]["arn"] != done["sourceServiceRevisions"][0]["arn"]


def test_the_next_deployment_lands_in_the_other_target_group(
    rehearse: Rehearse,
) -> None:
    world = rehearse(TrafficShifting("BLUE_GREEN", bake_time_in_minutes=0))
    blue_group = world.service.target_group_arn
    assert world.service.routing is not None
    green_group = world.service.routing.alternate_target_group_arn
    registered: list[str] = []
    for release in ("2", "3"):
        world.deploy(release)
        wait_service_deployment(world.service, status="SUCCESSFUL", timeout_s=180)
        health = world.service.elbv2.describe_target_health
        registered.append(
            next(
                group
                for group in (blue_group, green_group)
                if any(
                    t["TargetHealth"]["State"] == "healthy"
                    for t in health(TargetGroupArn=group)["TargetHealthDescriptions"]
                )
            )
        )
    assert registered == [green_group, blue_group]


def _hook_answering(status: str, calls: list[dict[str, Any]]) -> Callable[[dict[str, Any]], Any]:
    def hook(event: dict[str, Any]) -> dict[str, Any]:
        calls.append(event)
        return {"hookStatus": status}

    return hook


def test_a_lambda_hook_failing_after_scale_up_rolls_back_before_any_production_traffic(
    rehearse: Rehearse,
) -> None:
    calls: list[dict[str, Any]] = []
    world = rehearse(
        TrafficShifting("CANARY", canary_bake_time_in_minutes=1),
        hooks={"POST_SCALE_UP": _hook_answering("FAILED", calls)},
    )
    with world.load() as load:
        world.deploy()
        done = wait_service_deployment(world.service, status="ROLLBACK_SUCCESSFUL")
        time.sleep(1.0)
    assert [c["lifecycleStage"] for c in calls] == ["POST_SCALE_UP"]
    assert load.failures == [], world.failures_in_context(load)
    assert {world.watch.label(r) for r in load.successes} == {BLUE}
    assert done["rollback"]["reason"], done
    deadline = time.monotonic() + 30
    while world.running_fleets() != {BLUE} and time.monotonic() < deadline:
        time.sleep(0.5)
    assert world.running_fleets() == {BLUE}


def test_a_pause_after_test_traffic_answered_rollback_sends_the_test_port_back_to_blue(
    rehearse: Rehearse,
) -> None:
    shifting = TrafficShifting("CANARY", canary_bake_time_in_minutes=1)
    shifting.lifecycle_hooks = [
        {"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}
    ]
    world = rehearse(shifting)
    world.deploy()
    paused = wait_service_deployment(world.service, stage="POST_TEST_TRAFFIC_SHIFT")
    time.sleep(1.0)
    assert world.fleets(test_listener=True) == {GREEN}
    assert world.fleets() == {BLUE}
    paused = service_deployments(world.service)[0]  # read again: the hook waits now
    [hook] = [h for h in paused["lifecycleHookDetails"] if h["status"] == "AWAITING_ACTION"]
    world.service.ecs.continue_service_deployment(
        serviceDeploymentArn=paused["serviceDeploymentArn"],
        hookId=hook["hookId"],
        action="ROLLBACK",
    )
    wait_service_deployment(world.service, status="ROLLBACK_SUCCESSFUL")
    time.sleep(1.0)
    assert world.fleets(test_listener=True) == {BLUE}
    assert world.fleets() == {BLUE}


def _canary_with_alarm(rehearse: Rehearse, alarm: str) -> Rehearsal:
    shifting = TrafficShifting(
        "CANARY", canary_percent=10.0, canary_bake_time_in_minutes=STEP_MINUTES
    )
    shifting.alarm_names = [alarm]
    return rehearse(shifting)


def test_an_alarm_during_the_canary_returns_every_request_to_blue_within_seconds(
    rehearse: Rehearse,
    drydock_emulator: Emulator,
    drydock_isolation: Isolation,
) -> None:
    alarm = f"green-5xx-{drydock_isolation.suffix}"
    cloudwatch = aws_client("cloudwatch", drydock_emulator)
    cloudwatch.put_metric_alarm(
        AlarmName=alarm,
        Namespace="AWS/ApplicationELB",
        MetricName="HTTPCode_Target_5XX_Count",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="notBreaching",
    )
    try:
        world = _canary_with_alarm(rehearse, alarm)
        with world.load() as load:
            world.deploy()
            wait_service_deployment(world.service, stage="POST_PRODUCTION_TRAFFIC_SHIFT")
            time.sleep(2.0)  # green answers its canary share first
            fired = time.monotonic()
            cloudwatch.set_alarm_state(
                AlarmName=alarm, StateValue="ALARM", StateReason="scenario: green misbehaves"
            )
            wait_service_deployment(world.service, status="ROLLBACK_SUCCESSFUL")
            time.sleep(1.0)
        back = [t for t in _shift_times(world.watch, 0) if t > world.watch.epoch(fired)]
        green_after = [r.at for r in load.successes if world.watch.label(r) == GREEN]
        last_green = max(green_after) - fired if green_after else float("nan")
        print(
            f"\nalarm -> production 0 % green shift {back[0] - world.watch.epoch(fired):.2f} s; "
            f"last green answer {last_green:.2f} s after the alarm"
        )
        assert back and back[0] - world.watch.epoch(fired) <= 5.0
        assert last_green <= 5.0
        assert load.failures == [], world.failures_in_context(load)
        assert any(world.watch.label(r) == GREEN for r in load.successes)
    finally:
        cloudwatch.delete_alarms(AlarmNames=[alarm])


FAULT_SHARE = 0.3  # green answers 500 for 30 % of its inputs
GREEN_5XX_THRESHOLD = 5.0  # 5xx of the green target group per period; blue has none
ROLLBACK_WITHIN_S = 5.0


def _green_5xx_alarm(cloudwatch: Any, name: str, world: Rehearsal) -> None:
    """A real ALB alarm on the GREEN (alternate) target group's target 5xx: Sum over one
    60 s period (3 s at 0.05) >= 5. Only green is measured, and blue answers no 5xx."""
    service, routing = world.service, world.service.routing
    assert routing is not None
    groups = service.elbv2.describe_target_groups(TargetGroupArns=[service.target_group_arn])
    load_balancer = groups["TargetGroups"][0]["LoadBalancerArns"][0]
    put_target_5xx_alarm(
        cloudwatch, name, load_balancer, routing.alternate_target_group_arn, GREEN_5XX_THRESHOLD
    )


def test_a_green_failing_on_some_inputs_is_caught_by_its_alarm_and_rolled_back(
    rehearse: Rehearse,
    drydock_emulator: Emulator,
    drydock_isolation: Isolation,
) -> None:
    """Nothing forced: green is deployed with DRYDOCK_FAULT_SERVER_ERROR_SHARE, its 500s
    go through HAProxy, the emulator turns HAProxy's counters into the alarm's metric, the
    alarm goes to ALARM by evaluation and the canary rolls back.

    Times are compared on one clock, the epoch: the emulator runs in this process, so the
    alarm's StateUpdatedTimestamp, the service events (the shift back) and the clients'
    answers (monotonic, moved to the epoch by TrafficWatch) are all this host's time.
    """
    alarm = f"bad-green-5xx-{drydock_isolation.suffix}"
    cloudwatch = aws_client("cloudwatch", drydock_emulator)
    world = _canary_with_alarm(rehearse, alarm)
    _green_5xx_alarm(cloudwatch, alarm, world)
    bodies = varied_iris_bodies(1000)
    fault = ServerErrorFault(FAULT_SHARE)
    fails_on = {
        i for i, b in enumerate(bodies) if fault.failing_row(np.array(b["instances"])) is not None
    }
    try:
        with world.load(bodies=bodies) as load:
            world.deploy(environment={SERVER_ERROR_SHARE_VARIABLE: str(FAULT_SHARE)})
            # read while in ALARM: with green out of traffic it returns to OK a period later
            fired = wait_for_alarm_state(cloudwatch, alarm, "ALARM", timeout_s=120)
            done = wait_service_deployment(world.service, status="ROLLBACK_SUCCESSFUL")
            time.sleep(2.0)  # blue keeps answering after the rollback
    finally:
        cloudwatch.delete_alarms(AlarmNames=[alarm])
    watch = world.watch
    # the alarm moved by itself: evaluation's reason (SetAlarmState would carry its own)
    assert fired["StateReason"].startswith("Threshold Crossed: 1 datapoint"), fired
    assert done["alarms"]["triggeredAlarmNames"] == [alarm], done["alarms"]
    assert alarm in done["rollback"]["reason"], done["rollback"]
    alarm_at = fired["StateUpdatedTimestamp"].timestamp()
    history = load.responses
    green = [r for r in history if r.task_id and watch.label(r) == GREEN]
    green_5xx = [r for r in green if r.status == 500]
    back = [t for t in _shift_times(watch, 0) if t >= alarm_at - 0.5]
    first_5xx = watch.epoch(min(r.at for r in green_5xx)) if green_5xx else float("nan")
    last_green = watch.epoch(max(r.at for r in green)) - alarm_at if green else float("nan")
    shifted_back = back[0] if back else float("inf")
    blue_after = [
        r for r in history if r.ok and watch.label(r) == BLUE and watch.epoch(r.at) > shifted_back
    ]
    print(
        f"\nbad green ({FAULT_SHARE:g} of inputs fail, canary 10 %): alarm ALARM "
        f"{alarm_at - first_5xx:.2f} s after the first green 5xx; production 0 % green "
        f"{shifted_back - alarm_at:.2f} s after the alarm; last green answer {last_green:.2f} s "
        f"after it; {len(green_5xx)} green 5xx of {len(green)} green answers; "
        f"{len(load.failures)} failed of {len(load.responses)} requests; "
        f"{len(blue_after)} blue answers after the shift back"
    )
    assert green_5xx and any(r.ok for r in green), "green answered none or only 500s"
    assert back and back[0] - alarm_at <= ROLLBACK_WITHIN_S, (back, alarm_at)
    assert last_green <= ROLLBACK_WITHIN_S
    # every failure is green's own injected 500 for an input it fails on: blue's clients
    # saw no error, and neither the balancer nor a connection failed anyone
    for failure in load.failures:
        assert failure.status == 500 and failure.task_id, world.failures_in_context(load)
        assert failure.task_id not in watch.blue_hosts, failure
        assert "injected fault" in failure.error, failure
        assert failure.input_index in fails_on, failure
    assert not [r for r in green if r.ok and r.input_index in fails_on]
    assert blue_after, "blue stopped answering"
    deadline = time.monotonic() + 30
    while world.running_fleets() != {BLUE} and time.monotonic() < deadline:
        time.sleep(0.5)
    assert world.running_fleets() == {BLUE}


@pytest.mark.parametrize("stop_type", ["ROLLBACK", "ABORT"])
def test_stopping_a_canary(rehearse: Rehearse, stop_type: str) -> None:
    world = rehearse(
        TrafficShifting("CANARY", canary_percent=20.0, canary_bake_time_in_minutes=STEP_MINUTES)
    )
    world.deploy()
    running = wait_service_deployment(world.service, stage="POST_PRODUCTION_TRAFFIC_SHIFT")
    world.service.ecs.stop_service_deployment(
        serviceDeploymentArn=running["serviceDeploymentArn"], stopType=stop_type
    )
    if stop_type == "ROLLBACK":
        wait_service_deployment(world.service, status="ROLLBACK_SUCCESSFUL")
        time.sleep(1.0)
        assert world.fleets() == {BLUE}
        return
    stopped = wait_service_deployment(world.service, status="STOPPED")
    time.sleep(1.0)
    assert world.fleets(count=200) == {BLUE, GREEN}
    assert world.running_fleets() == {BLUE, GREEN}
    assert [s.green_weight for s in world.watch.steps()][-1] == 20
    assert stopped["status"] == "STOPPED"
    assert service_deployments(world.service)[0]["status"] == "STOPPED"


def test_the_aws_cli_drives_a_canary_and_reads_its_stages(
    rehearse: Rehearse, drydock_emulator: Emulator, tmp_path: Path
) -> None:
    world = rehearse(TrafficShifting("CANARY", canary_percent=10.0, canary_bake_time_in_minutes=2))
    service = world.service
    revision = service.register_revision(
        environment={**service.container.environment, "DRYDOCK_RELEASE_LABEL": "2"}
    )

    def cli(*args: str) -> Any:
        code, answer, err = aws_cli(drydock_emulator, tmp_path, "ecs", *args)
        assert code == 0, f"aws ecs {' '.join(args)}: {err}"
        return answer

    cli("update-service", "--cluster", service.cluster, "--service", service.name,
        "--task-definition", revision)  # fmt: skip
    stages: list[str] = []
    arn = ""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        listed = cli("list-service-deployments", "--cluster", service.cluster,
                     "--service", service.name)["serviceDeployments"]  # fmt: skip
        arn = max(listed, key=lambda d: d["createdAt"])["serviceDeploymentArn"]
        shown = cli("describe-service-deployments", "--service-deployment-arns", arn)
        deployment = shown["serviceDeployments"][0]
        stage = deployment.get("lifecycleStage", "")
        if stage and (not stages or stages[-1] != stage):
            stages.append(stage)
        if deployment["status"] == "SUCCESSFUL":
            break
        time.sleep(0.3)
    print(f"\nstages the AWS CLI saw: {stages}")
    assert deployment["status"] == "SUCCESSFUL", deployment
    assert deployment["deploymentConfiguration"]["strategy"] == "CANARY"
    assert (
        deployment["targetServiceRevision"]["arn"] != deployment["sourceServiceRevisions"][0]["arn"]
    )
    # the CLI polls slower than short stages pass, so the canary's bake is what it must see
    order = ["SCALE_UP", "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME",
             "CLEAN_UP"]  # fmt: skip
    firsts = list(dict.fromkeys(s for s in stages if s in order))  # production stages repeat
    assert "POST_PRODUCTION_TRAFFIC_SHIFT" in firsts, stages
    assert firsts == sorted(firsts, key=order.index), stages
    assert world.fleets() == {GREEN}


@pytest.mark.parametrize(("action", "outcome"), [("CONTINUE", "SUCCESSFUL"),
                                                 ("ROLLBACK", "ROLLBACK_SUCCESSFUL")])  # fmt: skip
def test_a_pause_nobody_answers_times_out_with_its_action(
    rehearse: Rehearse, action: str, outcome: str
) -> None:
    shifting = TrafficShifting("BLUE_GREEN", bake_time_in_minutes=0)
    shifting.lifecycle_hooks = [
        {
            "targetType": "PAUSE",
            "lifecycleStages": ["POST_SCALE_UP"],
            "timeoutConfiguration": {"timeoutInMinutes": 1, "action": action},
        }
    ]
    world = rehearse(shifting)
    world.deploy()
    paused = wait_service_deployment(world.service, stage="POST_SCALE_UP")
    entered = time.monotonic()
    done = wait_service_deployment(world.service, status=outcome)
    waited = time.monotonic() - entered
    minute = 60 * world.emulator.settings.time_scale
    print(f"\nPAUSE timeout {action}: {outcome} {waited:.1f} s after POST_SCALE_UP", end="")
    print(f" (1 minute is {minute} s)")
    assert waited >= minute - 0.5
    assert done["serviceDeploymentArn"] == paused["serviceDeploymentArn"]
    time.sleep(1.0)
    assert world.fleets() == ({GREEN} if action == "CONTINUE" else {BLUE})
