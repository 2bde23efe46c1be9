"""What one service's scheduler knows, shared by the modules that decide for it.

The scheduler is split by concern (task lifecycle, health judgement, rollback, the
deployment strategy, deployment progress); they all read and change the same service,
deployments and task records. Keeping that state in one object, with the questions every
concern asks of it, lets each concern be a small module that takes this object instead of
a class holding everything.
"""

from __future__ import annotations

from harness.ecs.domain import (
    Deployment,
    DeploymentStatus,
    RolloutState,
    Service,
    ServiceLoadBalancer,
    TaskDefinitionSpec,
)
from harness.ecs.scheduler.bounds import Bounds
from harness.ecs.scheduler.deployment_inbox import DeploymentInbox
from harness.ecs.scheduler.ids import IdSource
from harness.ecs.scheduler.ports import Clock
from harness.ecs.scheduler.records import TaskRecord
from harness.ecs.scheduler.settings import SchedulerSettings


class ServiceState:
    """The service, its task records (oldest first), and the task definitions it runs."""

    def __init__(
        self, service: Service, *, clock: Clock, settings: SchedulerSettings, ids: IdSource
    ) -> None:
        self.service = service
        self.settings = settings
        self.clock = clock
        self.ids = ids
        #: Task definitions by ARN, for every deployment the service has had.
        self.specs: dict[str, TaskDefinitionSpec] = {}
        #: Every task the service started, by ARN, in start order; pruned when long STOPPED.
        self.records: dict[str, TaskRecord] = {}
        #: A configuration stall was reported and nothing has moved since (report it once).
        self.stall_reported = False
        #: The steady-state event was sent for the current settled state (send it once).
        self.steady = False
        #: Hook answers, alarm states and deployment commands for the next step.
        self.inbox = DeploymentInbox()
        #: Where each deployment's tasks register, per load balancer entry (keyed by the
        #: entry's ``target_group_arn``); an entry missing here means that group. A
        #: BLUE_GREEN/LINEAR/CANARY deployment puts its tasks in the other group.
        self.target_groups: dict[str, dict[str, str]] = {}
        #: The strategy is waiting on time, a hook or traffic (not on the bounds): a
        #: step without actions is no configuration stall.
        self.strategy_waiting = False

    def forget_outcome(self) -> None:
        """The deployment picture changed: report the stall and steady state afresh."""
        self.stall_reported = False
        self.steady = False

    # ------------------------------------------------------------------ task counts

    def healthy_count(self) -> int:
        return sum(1 for r in self.records.values() if r.healthy)

    def occupied_count(self) -> int:
        """Tasks holding a slot under maximumPercent: every task not yet STOPPED."""
        return sum(1 for r in self.records.values() if r.live)

    def active_count(self, dep: Deployment) -> int:
        """Tasks of ``dep`` the scheduler means to keep running."""
        return sum(1 for r in self.records.values() if r.active and r.task.deployment_id == dep.id)

    def count(self, dep: Deployment, *, healthy: bool) -> int:
        return sum(
            1
            for r in self.records.values()
            if r.task.deployment_id == dep.id and r.healthy == healthy and r.active
        )

    def bounds(self) -> Bounds:
        return Bounds.of(self.service.deployment_configuration, self.service.desired_count)

    def target_group_for(self, deployment_id: str, lb: ServiceLoadBalancer) -> str:
        """The target group of ``lb`` that tasks of ``deployment_id`` register in."""
        return self.target_groups.get(deployment_id, {}).get(
            lb.target_group_arn, lb.target_group_arn
        )

    def load_balancer_of(self, target_group_arn: str) -> ServiceLoadBalancer | None:
        """The load balancer entry ``target_group_arn`` belongs to (as its group or its
        ``advancedConfiguration.alternateTargetGroupArn``)."""
        for lb in self.service.load_balancers:
            alternate = lb.advanced_configuration
            if target_group_arn == lb.target_group_arn or (
                alternate is not None and alternate.alternate_target_group_arn == target_group_arn
            ):
                return lb
        return None

    # ------------------------------------------------------------------ deployments

    def deployment(self, deployment_id: str) -> Deployment | None:
        return next((d for d in self.service.deployments if d.id == deployment_id), None)

    def old_deployments(self) -> list[Deployment]:
        """Non-PRIMARY deployments, newest first."""
        return [d for d in self.service.deployments if d.status is not DeploymentStatus.PRIMARY]

    def frozen(self) -> bool:
        """A FAILED PRIMARY (no rollback, or nothing to roll back to) launches nothing."""
        return self.service.primary.rollout_state is RolloutState.FAILED
