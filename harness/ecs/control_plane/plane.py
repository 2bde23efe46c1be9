"""The control plane: every registry behind one lock and one clock.

The API server's request threads and the driver loop (which steps the schedulers in
another thread) share this state; one re-entrant lock around each whole operation keeps
multi-registry changes (CreateService touches clusters, task definitions, target groups
and services) atomic. The driver must take :attr:`ControlPlane.lock` while it steps a
scheduler, since Describe* reads the scheduler's objects.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from harness.ecs.control_plane.cloudwatch.registry import CloudWatchRegistry
from harness.ecs.control_plane.clusters import ClusterRegistry
from harness.ecs.control_plane.container_instances import ContainerInstances
from harness.ecs.control_plane.ecr.state import EcrState
from harness.ecs.control_plane.elbv2.registry import Elbv2Registry
from harness.ecs.control_plane.quotas import Quotas
from harness.ecs.control_plane.scheduler_handle import SchedulerFactory, SchedulerHandle
from harness.ecs.control_plane.service_deployments import ServiceDeploymentHistory
from harness.ecs.control_plane.services import ServiceRegistry
from harness.ecs.control_plane.task_definitions import TaskDefinitionRegistry

#: An operation: the control plane and the validated request (AWS member names) ->
#: the output (AWS member names; timestamps as datetime).
Operation = Callable[["ControlPlane", dict[str, Any]], dict[str, Any]]


class ControlPlane:
    """State of the emulated ECS, ECR and ELBv2 APIs for one account and region.

    ``clock`` returns epoch seconds (the scheduler's clock, so times agree);
    ``scheduler_factory`` builds a scheduler handle per new service. Without one,
    services converge at once (:class:`InstantScheduler`), which suits API tests.
    ``ecr``: ECR's repositories and the registry behind them (default: no registry).
    ``cloudwatch``: alarms and metrics (default: AWS's pace, time scale 1).
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        scheduler_factory: SchedulerFactory | None = None,
        ecr: EcrState | None = None,
        quotas: Quotas | None = None,
        cloudwatch: CloudWatchRegistry | None = None,
    ) -> None:
        if scheduler_factory is None:
            from harness.ecs.control_plane.instant_scheduler import InstantScheduler

            scheduler_factory = InstantScheduler.factory(clock)
        self.clock = clock
        self.scheduler_factory = scheduler_factory
        #: AWS's service quotas, checked before each operation (``quotas``).
        self.quotas = quotas or Quotas()
        #: Called after each successful operation (see ``journal``); None: no memory.
        self.recorder: Callable[[Operation, dict[str, Any], dict[str, Any]], None] | None = None
        self.lock = threading.RLock()
        self.clusters = ClusterRegistry()
        self.task_definitions = TaskDefinitionRegistry()
        self.services = ServiceRegistry()
        self.elbv2 = Elbv2Registry()
        self.ecr = ecr or EcrState()
        self.cloudwatch = cloudwatch or CloudWatchRegistry()
        #: Every service deployment and revision seen (ListServiceDeployments & co.).
        self.service_deployments = ServiceDeploymentHistory()
        #: The engine as each cluster's container instance (set by the emulator).
        self.container_instances = ContainerInstances()

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), tz=UTC)

    @contextmanager
    def locked(self) -> Iterator[ControlPlane]:
        with self.lock:
            yield self

    def call(self, operation: Operation, request: dict[str, Any]) -> dict[str, Any]:
        """Run one API operation atomically; tell the recorder (the journal) of successes."""
        with self.lock:
            # the operation may consume its request; the journal needs it as sent
            sent = copy.deepcopy(request) if self.recorder is not None else request
            self.quotas.check(self, operation.__name__, request)
            output = operation(self, request)
            if self.recorder is not None:
                self.recorder(operation, sent, output)
            return output

    def schedulers(self) -> list[SchedulerHandle]:
        """Every service's scheduler handle (for the driver loop; hold :attr:`lock`)."""
        with self.lock:
            return list(self.services.handles())
