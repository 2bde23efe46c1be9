"""Which reconciler decides a service's starts and stops: its deployment strategy.

ECS deploys a service by ``deploymentConfiguration.strategy``
(:class:`~harness.ecs.domain.DeploymentStrategy`): ROLLING (the default), BLUE_GREEN,
LINEAR or CANARY. Each
strategy is a :class:`Reconciler` in its own module beside :mod:`.rolling_update`, built
from the same three collaborators; everything around it -- applying observations,
judging health, the circuit breaker, deployment progress -- is shared. Adding a strategy
is a member of :class:`DeploymentStrategy`, a module, and a line in :data:`RECONCILERS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from harness.ecs.domain import DeploymentConfiguration, DeploymentStrategy
from harness.ecs.scheduler.batch import StepBatch
from harness.ecs.scheduler.rollback import Rollback
from harness.ecs.scheduler.rolling_update import RollingUpdate
from harness.ecs.scheduler.service_state import ServiceState
from harness.ecs.scheduler.task_lifecycle import TaskLifecycle
from harness.ecs.scheduler.traffic_shifting import TrafficShifting


class Reconciler(Protocol):
    """One strategy's decisions for a step, after observations and health verdicts."""

    def reconcile(self, now: float, batch: StepBatch) -> None:
        """Start and stop tasks (through the lifecycle) toward the strategy's next state."""
        ...

    def next_wakeup(self) -> float | None:
        """When the strategy next acts on time alone (a bake time, a hook's timer)."""
        ...


ReconcilerFactory = Callable[[ServiceState, TaskLifecycle, Rollback], Reconciler]

#: The reconciler of each strategy.
RECONCILERS: Mapping[DeploymentStrategy, ReconcilerFactory] = {
    DeploymentStrategy.ROLLING: RollingUpdate,
    DeploymentStrategy.BLUE_GREEN: TrafficShifting,
    DeploymentStrategy.LINEAR: TrafficShifting,
    DeploymentStrategy.CANARY: TrafficShifting,
}


def strategy_of(config: DeploymentConfiguration) -> DeploymentStrategy:
    """The strategy ``config`` asks for (``deploymentConfiguration.strategy``)."""
    return config.strategy


class Reconcilers:
    """One service's reconciler per strategy, built once so a strategy may keep state."""

    def __init__(
        self,
        state: ServiceState,
        lifecycle: TaskLifecycle,
        rollback: Rollback,
        factories: Mapping[DeploymentStrategy, ReconcilerFactory] = RECONCILERS,
    ) -> None:
        self._built = {s: make(state, lifecycle, rollback) for s, make in factories.items()}

    def for_config(self, config: DeploymentConfiguration) -> Reconciler:
        """The reconciler of the strategy ``config`` asks for."""
        strategy = strategy_of(config)
        reconciler = self._built.get(strategy)
        if reconciler is None:
            raise ValueError(
                f"deploymentConfiguration.strategy {strategy} has no reconciler; "
                f"known: {', '.join(sorted(self._built))}"
            )
        return reconciler

    def next_wakeup(self, config: DeploymentConfiguration) -> float | None:
        """When the reconciler of ``config``'s strategy next acts on time alone."""
        wakeup = getattr(self.for_config(config), "next_wakeup", None)
        return wakeup() if wakeup is not None else None

    def rolled_back_to(self, deployment_id: str) -> None:
        """Journal replay: ``deployment_id`` is PRIMARY again after a rollback; tell the
        reconcilers that keep which deployments they have begun (a restart forgot)."""
        for reconciler in self._built.values():
            noted = getattr(reconciler, "rolled_back_to", None)
            if noted is not None:
                noted(deployment_id)
