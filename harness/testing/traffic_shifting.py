"""A BLUE_GREEN, LINEAR or CANARY deployment for the scenario kit's :class:`EcsService`.

What such a service needs besides a rolling one, created the way a user's deployment
code does it: an alternate (green) target group, a production listener rule and a test
listener on its own port with its rule (the compose stack publishes the balancer's
listener 8081 on ``DRYDOCK_LB_TEST_PORT``), ``loadBalancers[].advancedConfiguration``
naming them, and ``deploymentConfiguration`` with the strategy, bake times, lifecycle
hooks and alarms. Durations are AWS minutes; the emulator's time scale shrinks them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.ecs.control_plane.arns import ACCOUNT_ID
from harness.pipeline.load_balanced_service import TargetGroupSpec, ensure_target_group

#: The role ECS assumes for the load balancer and for Lambda hooks (not checked locally).
ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/ecsInfrastructureRole"
#: The balancer's blue/green test listener (published by compose on DRYDOCK_LB_TEST_PORT).
TEST_LISTENER_PORT = 8081
#: A rule matching every request: the listener's traffic is the deployment's to shift.
EVERY_PATH = [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}}]


@dataclass
class TrafficShifting:
    """``deploymentConfiguration`` of a traffic-shifting strategy, as AWS names it."""

    strategy: str = "CANARY"
    bake_time_in_minutes: int = 1
    canary_percent: float = 10.0
    canary_bake_time_in_minutes: int = 1
    linear_step_percent: float = 50.0
    linear_step_bake_time_in_minutes: int = 1
    lifecycle_hooks: list[dict[str, Any]] = field(default_factory=list)
    alarm_names: list[str] = field(default_factory=list)
    alarm_rollback: bool = True
    test_listener_port: int = TEST_LISTENER_PORT

    def deployment_configuration(self, rolling: dict[str, Any]) -> dict[str, Any]:
        """``rolling`` (the min/max percents, circuit breaker) plus the strategy's members."""
        config = {
            **rolling,
            "strategy": self.strategy,
            "bakeTimeInMinutes": self.bake_time_in_minutes,
        }
        if self.strategy == "CANARY":
            config["canaryConfiguration"] = {
                "canaryPercent": self.canary_percent,
                "canaryBakeTimeInMinutes": self.canary_bake_time_in_minutes,
            }
        elif self.strategy == "LINEAR":
            config["linearConfiguration"] = {
                "stepPercent": self.linear_step_percent,
                "stepBakeTimeInMinutes": self.linear_step_bake_time_in_minutes,
            }
        if self.lifecycle_hooks:
            config["lifecycleHooks"] = self.lifecycle_hooks
        if self.alarm_names:
            config["alarms"] = {
                "alarmNames": self.alarm_names,
                "enable": True,
                "rollback": self.alarm_rollback,
            }
        return config


@dataclass(frozen=True)
class BlueGreenRouting:
    """What :func:`create_routing` made: the groups and rules ``advancedConfiguration`` names."""

    alternate_target_group_arn: str
    production_listener_rule: str
    test_listener_rule: str

    def advanced_configuration(self) -> dict[str, str]:
        return {
            "alternateTargetGroupArn": self.alternate_target_group_arn,
            "productionListenerRule": self.production_listener_rule,
            "testListenerRule": self.test_listener_rule,
            "roleArn": ROLE_ARN,
        }


def _listener_arn(elbv2: Any, load_balancer_arn: str, port: int) -> str:
    listeners = elbv2.describe_listeners(LoadBalancerArn=load_balancer_arn)["Listeners"]
    return str(next(lst["ListenerArn"] for lst in listeners if lst["Port"] == port))


def _forward_rule(elbv2: Any, listener_arn: str, blue: str, green: str) -> str:
    """A rule sending every path to ``blue`` (100) and ``green`` (0): the one ECS shifts.

    Green is in the forward from the start, as users write it, so that a shift only
    changes weights, which HAProxy takes live. Adding a target group to the forward
    changes the routing layout, a reload; a reload once closed clients' idle keep-alive
    connections (a POST sent on one just then failed with "Remote end closed
    connection"), which ``option idle-close-on-response`` now prevents
    (``scenarios/test_balancer_reload_keep_alive.py``), so this is no longer a workaround.
    """
    groups = [{"TargetGroupArn": blue, "Weight": 100}, {"TargetGroupArn": green, "Weight": 0}]
    return str(
        elbv2.create_rule(
            ListenerArn=listener_arn,
            Priority=1,
            Conditions=EVERY_PATH,
            Actions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": groups}}],
        )["Rules"][0]["RuleArn"]
    )


def create_routing(
    elbv2: Any,
    load_balancer_arn: str,
    production_port: int,
    blue: str,
    green: TargetGroupSpec,
    test_port: int = TEST_LISTENER_PORT,
) -> BlueGreenRouting:
    """The green target group, a rule on the production listener and a test listener
    with its rule, both forwarding all to ``blue`` (the service's target group) for now."""
    alternate = ensure_target_group(elbv2, green)
    test_listener = elbv2.create_listener(
        LoadBalancerArn=load_balancer_arn,
        Protocol="HTTP",
        Port=test_port,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": blue}],
    )["Listeners"][0]["ListenerArn"]
    production_listener = _listener_arn(elbv2, load_balancer_arn, production_port)
    production = _forward_rule(elbv2, production_listener, blue, alternate)
    test = _forward_rule(elbv2, test_listener, blue, alternate)
    return BlueGreenRouting(alternate, production, test)
