"""A simulated world for BLUE_GREEN, LINEAR and CANARY: two target groups, listener
rules whose weights the scheduler sets, and local Lambda functions answering hooks.

Built on :class:`tests.ecs.conftest.World` (fake clock, runtime and balancer); adds what
the traffic-shifting strategies act on: ``ShiftTraffic`` is applied to :attr:`rules`
(and recorded with its time), ``InvokeHook`` calls a function from :attr:`functions`
and delivers its answer as ``HookAnswered`` after :attr:`hook_latency` seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from harness.ecs.domain import (
    AdvancedConfiguration,
    DeploymentConfiguration,
    DeploymentStrategy,
    HookStatus,
    LifecycleStage,
    ServiceLoadBalancer,
    TaskStatus,
)
from harness.ecs.scheduler import Action, RegisterTarget
from harness.ecs.scheduler.actions import InvokeHook, ShiftTraffic
from harness.ecs.scheduler.observations import HookAnswered
from tests.ecs.conftest import TG_ARN, World, td

BLUE_TG = TG_ARN
GREEN_TG = (
    "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/model-alt/fedcba9876543210"
)
PROD_RULE = "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener-rule/app/lb/1/2/prod"
TEST_RULE = "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener-rule/app/lb/1/3/test"
LAMBDA = "arn:aws:lambda:us-east-1:000000000000:function:{name}"

#: A local Lambda function: the payload in, (hookStatus, callBackDelay or None) out.
Function = Callable[[dict[str, object]], tuple[HookStatus, float | None]]


class StrategyWorld(World):
    """A service on two target groups; revision 1 deployed, revision 2 ready."""

    def __init__(
        self,
        strategy: DeploymentStrategy,
        *,
        config: DeploymentConfiguration | None = None,
        test_rule: bool = True,
        functions: dict[str, Function] | None = None,
        hook_latency: float = 2.0,
        **kwargs: object,
    ) -> None:
        base = config or DeploymentConfiguration()
        super().__init__(
            config=replace(base, strategy=strategy),
            load_balanced=True,
            **kwargs,  # type: ignore[arg-type]
        )
        self.service.load_balancers = (
            ServiceLoadBalancer(
                BLUE_TG,
                "model",
                8080,
                AdvancedConfiguration(GREEN_TG, PROD_RULE, TEST_RULE if test_rule else None),
            ),
        )
        self.functions = functions or {}
        self.hook_latency = hook_latency
        self.rules: dict[str, dict[str, int]] = {
            PROD_RULE: {BLUE_TG: 100},
            TEST_RULE: {BLUE_TG: 100},
        }
        self.shifts: list[tuple[float, str, dict[str, int]]] = []
        self.invocations: list[tuple[float, InvokeHook]] = []
        self.stages: list[LifecycleStage] = []
        self.td2 = td(2)
        self.hooks.append(self._act)

    def _act(self, actions: list[Action]) -> None:
        for action in actions:
            match action:
                case ShiftTraffic(rule_arn=rule, weights=weights):
                    self.rules[rule] = dict(weights)
                    self.shifts.append((self.now, rule, dict(weights)))
                case InvokeHook():
                    self.invocations.append((self.now, action))
                    fn = self.functions[action.hook.hook_target_arn]
                    status, delay = fn(action.payload)
                    self._later(
                        self.hook_latency,
                        lambda a=action, s=status, d=delay: HookAnswered(a.hook_id, s, d),
                    )
        stage = self.service.primary.lifecycle.stage
        if stage is not None and (not self.stages or self.stages[-1] is not stage):
            self.stages.append(stage)

    # -- driving

    def deploy_first(self) -> None:
        """Revision 1 rolls out as a first deployment (nothing to shift from)."""
        self.run_until_stable()

    def deploy_green(self, until: Callable[[World], bool] | None = None, **kw: float) -> None:
        """Start the deployment of revision 2; run until ``until`` or stable."""
        self.update(task_definition=self.td2)
        if until is None:
            self.run_until_stable(**kw)
        else:
            self.run(until, **kw)

    # -- reading

    def production_shifts(self) -> list[tuple[float, dict[str, int]]]:
        return [(t, w) for t, rule, w in self.shifts if rule == PROD_RULE]

    def green_weight(self) -> int:
        return self.rules[PROD_RULE].get(GREEN_TG, 0)

    def first_time(self, kind: type, revision: int) -> float | None:
        """When the scheduler first acted with ``kind`` on a task of ``revision``."""
        arns = {
            t.task_arn
            for t in self.scheduler.tasks
            if t.task_definition_arn.endswith(f":{revision}")
        }
        for at, action in self.actions:
            if isinstance(action, kind) and getattr(action, "task_arn", None) in arns:
                return at
        return None

    def registered_groups(self, revision: int) -> set[str]:
        arns = {
            t.task_arn
            for t in self.scheduler.tasks
            if t.task_definition_arn.endswith(f":{revision}")
        }
        return {
            a.target_group_arn
            for _, a in self.actions
            if isinstance(a, RegisterTarget) and a.task_arn in arns
        }

    def running(self, revision: int) -> list:
        return [
            t
            for t in self.live(revision)
            if t.last_status is TaskStatus.RUNNING and t.desired_status is TaskStatus.RUNNING
        ]


def pause_until(world: StrategyWorld, stage: LifecycleStage) -> Callable[[World], bool]:
    """A stop condition: a PAUSE hook at ``stage`` is awaiting action."""

    def waiting(_: World) -> bool:
        return any(
            run.stage is stage and run.status is HookStatus.AWAITING_ACTION
            for run in world.service.primary.lifecycle.hooks
        )

    return waiting


def at_stage(world: StrategyWorld, stage: LifecycleStage) -> Callable[[World], bool]:
    return lambda _: world.service.primary.lifecycle.stage is stage
