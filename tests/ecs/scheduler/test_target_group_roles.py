"""Target group roles: a completed blue/green deployment makes its group production.

DescribeServices shows the group the production listener rule forwards to as
``loadBalancers[].targetGroupArn`` once a BLUE_GREEN/LINEAR/CANARY deployment has
completed; everything that places tasks reads it from there (the next green, a ROLLING
deployment after a blue/green one, adoption after a restart).
"""

from __future__ import annotations

from dataclasses import replace

from harness.ecs import events as ev
from harness.ecs.domain import (
    AdvancedConfiguration,
    DeploymentConfiguration,
    DeploymentStrategy,
    HookStatus,
    HookTargetType,
    LifecycleStage,
    ServiceLoadBalancer,
)
from harness.ecs.scheduler.target_group_roles import oriented, promote, with_production
from tests.ecs.conftest import td
from tests.ecs.scheduler.strategy_world import BLUE_TG, GREEN_TG, PROD_RULE, StrategyWorld
from tests.ecs.scheduler.test_deployment_failures import hook, start_green
from tests.ecs.scheduler.test_deployment_failures import world as failing_world

OTHER_TG = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/other/0123"
ENTRY = ServiceLoadBalancer(BLUE_TG, "model", 8080, AdvancedConfiguration(GREEN_TG, PROD_RULE))


def blue_green(strategy: DeploymentStrategy = DeploymentStrategy.BLUE_GREEN) -> StrategyWorld:
    w = StrategyWorld(strategy, config=DeploymentConfiguration(bake_time_in_minutes=0), desired=2)
    w.deploy_first()
    return w


def roles(w: StrategyWorld) -> tuple[str, str]:
    lb = w.service.load_balancers[0]
    assert lb.advanced_configuration is not None
    return lb.target_group_arn, lb.advanced_configuration.alternate_target_group_arn


def test_orienting_an_entry_swaps_its_pair_and_nothing_else() -> None:
    swapped = oriented(ENTRY, GREEN_TG)
    assert swapped.target_group_arn == GREEN_TG
    assert swapped.advanced_configuration == replace(
        ENTRY.advanced_configuration,  # type: ignore[arg-type]
        alternate_target_group_arn=BLUE_TG,
    )
    assert oriented(ENTRY, BLUE_TG) is ENTRY
    assert oriented(ENTRY, OTHER_TG) is ENTRY  # not one of its groups: unchanged
    plain = ServiceLoadBalancer(BLUE_TG, "model", 8080)
    assert oriented(plain, GREEN_TG) is plain
    assert with_production((ENTRY, plain), [OTHER_TG, GREEN_TG]) == (swapped, plain)
    assert promote((ENTRY,), {BLUE_TG: GREEN_TG}) == (swapped,)
    assert promote((ENTRY,), {}) == (ENTRY,)


def test_a_completed_blue_green_deployment_makes_green_the_production_group() -> None:
    w = blue_green()
    assert roles(w) == (BLUE_TG, GREEN_TG)
    w.deploy_green()
    assert w.rules[PROD_RULE] == {BLUE_TG: 0, GREEN_TG: 100}
    assert roles(w) == (GREEN_TG, BLUE_TG)
    swaps = [e for e in w.events if isinstance(e, ev.TargetGroupRolesSwapped)]
    assert [(s.deployment_id, s.production) for s in swaps] == [(w.service.primary.id, (GREEN_TG,))]
    # the next one goes back into blue's group and swaps the roles back
    w.update(task_definition=td(3))
    w.run_until_stable()
    assert w.registered_groups(3) == {BLUE_TG}
    assert roles(w) == (BLUE_TG, GREEN_TG)


def test_linear_and_canary_swap_the_roles_too() -> None:
    for strategy in (DeploymentStrategy.LINEAR, DeploymentStrategy.CANARY):
        w = blue_green(strategy)
        w.deploy_green()
        assert roles(w) == (GREEN_TG, BLUE_TG), strategy


def test_a_rolled_back_deployment_leaves_the_roles_as_they_were() -> None:
    w = failing_world(
        lifecycle_hooks=(hook(HookTargetType.AWS_LAMBDA, LifecycleStage.POST_SCALE_UP),),
        answers=[(HookStatus.FAILED, None)],
    )
    start_green(w, lambda _: w.service.primary is w.blue)  # type: ignore[attr-defined]
    w.run_until_stable()
    assert roles(w) == (BLUE_TG, GREEN_TG)
    assert not [e for e in w.events if isinstance(e, ev.TargetGroupRolesSwapped)]


def test_a_rolling_deployment_after_blue_green_registers_where_production_is() -> None:
    w = blue_green()
    w.deploy_green()  # production is GREEN_TG now
    w.update(
        task_definition=td(3),
        deployment_configuration=DeploymentConfiguration(strategy=DeploymentStrategy.ROLLING),
    )
    w.run_until_stable()
    assert w.registered_groups(3) == {GREEN_TG}
    assert w.rules[PROD_RULE] == {BLUE_TG: 0, GREEN_TG: 100}
    assert roles(w) == (GREEN_TG, BLUE_TG)  # a rolling deployment swaps nothing
