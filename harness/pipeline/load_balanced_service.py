"""An ECS service behind an ALB listener, created through boto3: the one way Drydock does it.

The demo's rollout stage and the scenario kit (``harness.testing.EcsService``) both
need the same four resources in the same shape: a target group with its health check
and deregistration delay, a load balancer, a listener forwarding to the group, and a
service registering its container in the group. Each ``ensure_*`` call is idempotent
(an existing resource of that name is reused, as a re-run pipeline expects), so the
same code serves a first deployment, a re-run, and a scenario with fresh names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TargetGroupSpec:
    """A target group as ``CreateTargetGroup`` takes it; durations in AWS seconds."""

    name: str
    port: int
    health_check_path: str
    interval_s: int = 30
    timeout_s: int = 5
    healthy_threshold: int = 2
    unhealthy_threshold: int = 2
    deregistration_delay_s: int = 300
    target_type: str = "ip"
    vpc_id: str | None = None


@dataclass(frozen=True)
class ContainerTarget:
    """Which container port of the service's tasks the target group receives."""

    target_group_arn: str
    container_name: str
    container_port: int
    #: BLUE_GREEN/LINEAR/CANARY: alternateTargetGroupArn, listener rules, roleArn
    advanced_configuration: dict[str, str] | None = None

    def as_load_balancer(self) -> dict[str, Any]:
        """The service's ``loadBalancers[]`` entry."""
        entry: dict[str, Any] = {
            "targetGroupArn": self.target_group_arn,
            "containerName": self.container_name,
            "containerPort": self.container_port,
        }
        if self.advanced_configuration:
            entry["advancedConfiguration"] = self.advanced_configuration
        return entry


def ensure_load_balancing(
    elbv2: Any, target_group: TargetGroupSpec, load_balancer: str, listener_port: int
) -> str:
    """Target group, load balancer and a listener on ``listener_port`` forwarding to the
    group, each created once; returns the target group's ARN."""
    group_arn = ensure_target_group(elbv2, target_group)
    balancer_arn = ensure_load_balancer(elbv2, load_balancer)
    ensure_listener(elbv2, balancer_arn, listener_port, group_arn)
    return group_arn


def ensure_target_group(elbv2: Any, spec: TargetGroupSpec) -> str:
    """The group named ``spec.name``, created with ``spec``'s health check and
    deregistration delay if it does not exist yet."""
    groups = elbv2.describe_target_groups()["TargetGroups"]
    group = next((g for g in groups if g["TargetGroupName"] == spec.name), None)
    if group is not None:
        return str(group["TargetGroupArn"])
    request: dict[str, Any] = {
        "Name": spec.name,
        "Protocol": "HTTP",
        "Port": spec.port,
        "TargetType": spec.target_type,
        "HealthCheckPath": spec.health_check_path,
        "HealthCheckIntervalSeconds": spec.interval_s,
        "HealthCheckTimeoutSeconds": spec.timeout_s,
        "HealthyThresholdCount": spec.healthy_threshold,
        "UnhealthyThresholdCount": spec.unhealthy_threshold,
    }
    if spec.vpc_id is not None:
        request["VpcId"] = spec.vpc_id
    arn = str(elbv2.create_target_group(**request)["TargetGroups"][0]["TargetGroupArn"])
    elbv2.modify_target_group_attributes(
        TargetGroupArn=arn,
        Attributes=[
            {
                "Key": "deregistration_delay.timeout_seconds",
                "Value": str(spec.deregistration_delay_s),
            }
        ],
    )
    return arn


def ensure_load_balancer(elbv2: Any, name: str) -> str:
    """The application load balancer named ``name``, created if missing."""
    balancers = elbv2.describe_load_balancers()["LoadBalancers"]
    balancer = next((b for b in balancers if b["LoadBalancerName"] == name), None)
    if balancer is None:
        balancer = elbv2.create_load_balancer(
            Name=name, Subnets=["subnet-drydock"], Type="application"
        )["LoadBalancers"][0]
    return str(balancer["LoadBalancerArn"])


def ensure_listener(elbv2: Any, load_balancer_arn: str, port: int, target_group_arn: str) -> None:
    """An HTTP listener on ``port`` forwarding to the group, unless the port has one."""
    listeners = elbv2.describe_listeners(LoadBalancerArn=load_balancer_arn)["Listeners"]
    if any(listener["Port"] == port for listener in listeners):
        return
    elbv2.create_listener(
        LoadBalancerArn=load_balancer_arn,
        Protocol="HTTP",
        Port=port,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": target_group_arn}],
    )


def deployment_configuration(
    minimum_healthy_percent: int,
    maximum_percent: int,
    circuit_breaker: dict[str, bool] | None = None,
) -> dict[str, Any]:
    """``deploymentConfiguration`` for a rolling update."""
    configuration: dict[str, Any] = {
        "minimumHealthyPercent": minimum_healthy_percent,
        "maximumPercent": maximum_percent,
    }
    if circuit_breaker is not None:
        configuration["deploymentCircuitBreaker"] = circuit_breaker
    return configuration


def create_service(
    ecs: Any,
    *,
    cluster: str,
    name: str,
    task_definition: str,
    desired_count: int,
    target: ContainerTarget,
    deployment: dict[str, Any],
    grace_period_s: int,
) -> None:
    """``CreateService`` of a service whose tasks register ``target`` in its group."""
    ecs.create_service(
        cluster=cluster,
        serviceName=name,
        taskDefinition=task_definition,
        desiredCount=desired_count,
        loadBalancers=[target.as_load_balancer()],
        healthCheckGracePeriodSeconds=grace_period_s,
        deploymentConfiguration=deployment,
    )
