"""Which target group of a blue/green pair holds the production fleet.

A BLUE_GREEN, LINEAR or CANARY deployment starts its tasks in the group that is not
serving production and moves the production listener rule's forward to it. Once it has
COMPLETED, the two groups have swapped roles, and ECS shows it: DescribeServices then
reports the group the new fleet runs in as ``loadBalancers[].targetGroupArn`` and the
one it replaced as ``advancedConfiguration.alternateTargetGroupArn`` (so the next
deployment, whatever its strategy, knows where production is; the role swap is ECS's
state, not the user's configuration).

The service's ``loadBalancers`` are therefore the record of the roles: every reader
(task registration, the next green, a ROLLING deployment after a blue/green one,
adoption after an emulator restart) takes ``targetGroupArn`` as production. Pure: the
scheduler calls :func:`promote` when a deployment completes and publishes the result as
:class:`~harness.ecs.events.TargetGroupRolesSwapped`, which the journal keeps; a replay
re-applies it with :func:`with_production`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace

from harness.ecs.domain import ServiceLoadBalancer


def oriented(lb: ServiceLoadBalancer, production: str) -> ServiceLoadBalancer:
    """``lb`` with ``production`` as its ``targetGroupArn`` and the other group of the
    pair as the alternate; ``lb`` itself when it already is, or when ``production`` is
    not one of its two groups."""
    advanced = lb.advanced_configuration
    if advanced is None or production == lb.target_group_arn:
        return lb
    if production != advanced.alternate_target_group_arn:
        return lb
    return replace(
        lb,
        target_group_arn=production,
        advanced_configuration=replace(advanced, alternate_target_group_arn=lb.target_group_arn),
    )


def with_production(
    load_balancers: tuple[ServiceLoadBalancer, ...], production: Collection[str]
) -> tuple[ServiceLoadBalancer, ...]:
    """Every entry oriented so that the group of its pair named in ``production`` is its
    ``targetGroupArn`` (entries whose pair ``production`` does not name stay as they are)."""
    out = []
    for lb in load_balancers:
        chosen = next((arn for arn in production if arn in pair(lb)), lb.target_group_arn)
        out.append(oriented(lb, chosen))
    return tuple(out)


def pair(lb: ServiceLoadBalancer) -> frozenset[str]:
    """The entry's target groups, whichever holds production."""
    advanced = lb.advanced_configuration
    if advanced is None:
        return frozenset({lb.target_group_arn})
    return frozenset({lb.target_group_arn, advanced.alternate_target_group_arn})


def promote(
    load_balancers: tuple[ServiceLoadBalancer, ...], groups: Mapping[str, str]
) -> tuple[ServiceLoadBalancer, ...]:
    """The entries once a deployment whose tasks run in ``groups`` (keyed by each entry's
    current ``targetGroupArn``, as :attr:`ServiceState.target_groups` keeps them) has
    completed: its groups become the production ones."""
    return tuple(
        oriented(lb, groups.get(lb.target_group_arn, lb.target_group_arn)) for lb in load_balancers
    )
