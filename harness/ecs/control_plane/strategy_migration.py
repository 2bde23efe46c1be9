"""Moving a service between ROLLING and BLUE_GREEN/LINEAR/CANARY, as AWS allows it.

AWS's guide ("Update the Amazon ECS deployment strategy") lets a service change its
strategy only when no deployment is in progress: "If the service has a deployment in
progress, you cannot migrate it to rolling deployment. Wait for all current deployments
to complete". The ROLLING deployments that follow keep the load balancer configuration
and start from the revision serving traffic: the production target group, which a
completed blue/green deployment made the service's ``targetGroupArn``
(:mod:`harness.ecs.scheduler.target_group_roles`), so the new tasks register where the
production listener rule forwards. A change in the middle of a traffic shift (both
groups serving) would leave no group that all traffic goes to, so it is refused.
"""

from __future__ import annotations

from harness.ecs.control_plane.deployment_strategies import TRAFFIC_SHIFTING
from harness.ecs.control_plane.errors import InvalidParameterException
from harness.ecs.domain import DeploymentConfiguration, RolloutState, Service


def check_strategy_migration(service: Service, config: DeploymentConfiguration) -> None:
    """Refuse a change between ROLLING and a traffic-shifting strategy while ``service``
    has a deployment in progress (or more than one deployment with tasks to settle)."""
    before = service.deployment_configuration.strategy
    after = config.strategy
    if (before in TRAFFIC_SHIFTING) == (after in TRAFFIC_SHIFTING):
        return
    unsettled = [
        d
        for d in service.deployments
        if d.rollout_state is RolloutState.IN_PROGRESS or d is not service.primary
    ]
    if unsettled:
        raise InvalidParameterException(
            f"The deployment strategy of service {service.service_name} cannot change from "
            f"{before} to {after} while deployment {unsettled[0].id} is in progress "
            f"({unsettled[0].rollout_state}); wait for the current deployment to complete."
        )
