"""A rollback shifts traffic off green and drains green's targets in one scheduler step:
HAProxy must get the new weights before the drain, or requests the old weights still
send to green find no server (HAProxy's 503 "No server is available", seen by clients in
scenarios/test_traffic_shifting.py's alarm scenario before this was fixed)."""

from __future__ import annotations

import queue
import time
from typing import Any

from harness.ecs.control_plane import ControlPlane
from harness.ecs.control_plane.elbv2_operations import ELBV2_OPERATIONS, set_forward_weights
from harness.ecs.emulator.elbv2_sync import Elbv2Sync
from harness.ecs.haproxy.routing import Frontend
from harness.ecs.scheduler.actions import DeregisterTarget, RegisterTarget
from tests.ecs.emulator.test_driver import FakeProxy, FakeRuntime

TASK = "arn:aws:ecs:us-east-1:000000000000:task/c/green1"


class OrderedProxy(FakeProxy):
    """Records what HAProxy was told, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[str, Any]] = []

    def set_frontend(self, frontend: Frontend) -> None:
        super().set_frontend(frontend)
        self.log.append(("frontend", frontend))

    def drain_server(self, backend: str, server_id: str) -> None:
        super().drain_server(backend, server_id)
        self.log.append(("drain", server_id))


def _call(cp: ControlPlane, name: str, **request: Any) -> dict[str, Any]:
    return cp.call(ELBV2_OPERATIONS[name], request)


def test_weights_reach_haproxy_before_greens_targets_drain() -> None:
    cp = ControlPlane(clock=time.time)
    groups = [
        _call(cp, "CreateTargetGroup", Name=name, Protocol="HTTP", Port=8080)["TargetGroups"][0][
            "TargetGroupArn"
        ]
        for name in ("blue", "green")
    ]
    blue, green = groups
    lb = _call(cp, "CreateLoadBalancer", Name="alb", Subnets=["s"])["LoadBalancers"][0]
    listener = _call(
        cp,
        "CreateListener",
        LoadBalancerArn=lb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=8080,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": blue}],
    )["Listeners"][0]["ListenerArn"]
    forward = [{"TargetGroupArn": blue, "Weight": 90}, {"TargetGroupArn": green, "Weight": 10}]
    rule = _call(
        cp,
        "CreateRule",
        ListenerArn=listener,
        Priority=1,
        Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}}],
        Actions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": forward}}],
    )["Rules"][0]["RuleArn"]
    runtime, proxy = FakeRuntime(queue.Queue()), OrderedProxy()
    runtime.started.append(TASK)
    sync = Elbv2Sync(proxy, cp, runtime.address)
    sync.sync()
    sync.register_target(RegisterTarget(TASK, green, "app", 8080))
    proxy.log.clear()

    # the rollback's batch: ShiftTraffic (through the control plane), then DeregisterTarget
    cp.call(set_forward_weights, {"RuleArn": rule, "Weights": {blue: 100, green: 0}})
    sync.deregister_target(DeregisterTarget(TASK, green))

    kinds = [kind for kind, _ in proxy.log]
    assert kinds == ["frontend", "drain"], kinds
    applied: Frontend = proxy.log[0][1]
    assert applied.routes[0].weights == (100, 0), applied.routes[0]
