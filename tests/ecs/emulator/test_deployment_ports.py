"""The emulator's ports for BLUE_GREEN/LINEAR/CANARY: traffic into listener rules,
alarm states into each service's scheduler, Lambda hooks to a runner (or FAILED)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace

from harness.ecs.domain import (
    DeploymentAlarms,
    DeploymentConfiguration,
    HookTargetType,
    LifecycleHook,
    LifecycleStage,
    Service,
)
from harness.ecs.emulator.alarm_feed import alarm_observation
from harness.ecs.emulator.event_loop import Driver
from harness.ecs.emulator.traffic_router import ListenerRuleRouter
from harness.ecs.scheduler.actions import Action, InvokeHook, ShiftTraffic
from harness.ecs.scheduler.observations import AlarmsInAlarm, Observation

RULE = "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener-rule/app/lb/1/2/3"
BLUE, GREEN = "tg/blue", "tg/green"
HOOK = LifecycleHook(
    HookTargetType.AWS_LAMBDA,
    (LifecycleStage.POST_SCALE_UP,),
    hook_target_arn="arn:aws:lambda:us-east-1:000000000000:function:smoke",
)


class Alarms:
    def __init__(self, firing: set[str]) -> None:
        self.firing = firing
        self.asked: list[list[str]] = []

    def alarms_in_alarm(self, names: Sequence[str]) -> list[str]:
        self.asked.append(list(names))
        return [n for n in names if n in self.firing]


def service(name: str, alarms: DeploymentAlarms | None = None) -> Service:
    return Service(
        service_name=name,
        service_arn=f"arn:aws:ecs:us-east-1:000000000000:service/c/{name}",
        cluster_arn="arn:aws:ecs:us-east-1:000000000000:cluster/c",
        task_definition="td:1",
        desired_count=1,
        deployment_configuration=replace(
            DeploymentConfiguration(), alarms=alarms or DeploymentAlarms()
        ),
    )


class Handle:
    def __init__(self, svc: Service, emits: list[Action] | None = None) -> None:
        self.service = svc
        self.emits = emits or []
        self.seen: list[list[Observation]] = []

    def step(self, observations: Sequence[Observation] = ()) -> list[Action]:
        self.seen.append(list(observations))
        out, self.emits = self.emits, []
        return out

    def next_wakeup(self) -> float | None:
        return None


class Plane:
    def __init__(self, *handles: Handle) -> None:
        self.lock = threading.RLock()
        self.handles = handles

    def schedulers(self) -> Sequence[Handle]:
        return self.handles


class Recorder:
    def __init__(self) -> None:
        self.traffic: list[ShiftTraffic] = []
        self.hooks: list[InvokeHook] = []

    def shift_traffic(self, action: ShiftTraffic) -> None:
        self.traffic.append(action)

    def invoke_hook(self, action: InvokeHook) -> None:
        self.hooks.append(action)


def driver(plane: Plane, recorder: Recorder | None = None, alarms: Alarms | None = None) -> Driver:
    return Driver(
        plane,  # type: ignore[arg-type]
        runtime=None,  # type: ignore[arg-type]
        targets=None,  # type: ignore[arg-type]
        observations=queue.Queue(),
        traffic=recorder,
        hooks=recorder,
        alarms=alarms,
    )


def test_the_router_sets_the_rules_weights_under_the_control_plane_lock() -> None:
    lock = threading.RLock()
    held: list[bool] = []

    class Checking:
        def set_forward_weights(self, rule_arn: str, weights: Mapping[str, int]) -> None:
            # another thread cannot take the lock while the router holds it
            got: list[bool] = []
            t = threading.Thread(target=lambda: got.append(lock.acquire(blocking=False)))
            t.start()
            t.join()
            held.append(got == [False])
            self.call = (rule_arn, dict(weights))

    rules = Checking()
    ListenerRuleRouter(rules, lock).shift_traffic(ShiftTraffic(RULE, ((BLUE, 80), (GREEN, 20))))
    assert rules.call == (RULE, {BLUE: 80, GREEN: 20})
    assert held == [True]


def test_each_service_with_enabled_alarms_hears_its_own_alarm_states() -> None:
    watched = Handle(service("a", DeploymentAlarms(("a-5xx", "a-latency"), enable=True)))
    other = Handle(service("b", DeploymentAlarms(("b-5xx",), enable=True)))
    quiet = Handle(service("c", DeploymentAlarms(("a-5xx",), enable=False)))
    alarms = Alarms({"a-latency"})
    d = driver(Plane(watched, other, quiet), alarms=alarms)

    d._step([], alarms=True)

    assert watched.seen == [[AlarmsInAlarm("a", ("a-latency",))]]
    assert other.seen == [[AlarmsInAlarm("b", ())]]  # none in ALARM is news too
    assert quiet.seen == [[]]
    # between polls the alarms are not asked again
    d._step([])
    assert len(alarms.asked) == 2


def test_without_cloudwatch_no_alarm_observation_is_made() -> None:
    svc = service("a", DeploymentAlarms(("a-5xx",), enable=True, rollback=True))
    assert alarm_observation(svc, None) is None


def test_traffic_and_hook_actions_reach_their_ports() -> None:
    shift = ShiftTraffic(RULE, ((BLUE, 0), (GREEN, 100)))
    invoke = InvokeHook("h-1", "ecs-svc/1", LifecycleStage.POST_SCALE_UP, HOOK, {})
    recorder = Recorder()
    d = driver(Plane(Handle(service("a"), [shift, invoke])), recorder)
    d._step([])
    assert recorder.traffic == [shift] and recorder.hooks == [invoke]
    assert d.errors == []
