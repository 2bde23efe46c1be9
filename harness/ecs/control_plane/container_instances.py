"""The one container instance every cluster has: this machine's Docker Engine.

ECS on EC2 shows each registered instance with its registered and remaining CPU and
memory; the emulator's tasks all run on one engine, so each cluster shows one instance
standing for it. Capacity is the engine's, shared by every cluster: what one cluster's
instance has remaining is what the engine has remaining. The placement gate
(``harness.ecs.emulator.placement_gate``) writes what tasks reserve here, under the
control plane's lock; ``DescribeClusters`` and the container-instance operations read
it. A control plane without an engine (API tests) registers no instance.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from harness.ecs.control_plane import arns
from harness.ecs.scheduler.placement import Resources, total


@dataclass
class ContainerInstances:
    """What the engine registered, and what each task placed on it reserves."""

    registered: Resources | None = None
    engine_id: str = "local"
    registered_at: datetime | None = None
    #: task ARN -> (cluster name, reservation) for tasks holding resources (started)
    placed: dict[str, tuple[str, Resources]] = field(default_factory=dict)
    #: task ARN -> cluster name, for tasks waiting for room (PENDING, no container)
    waiting: dict[str, str] = field(default_factory=dict)

    @property
    def remaining(self) -> Resources:
        assert self.registered is not None
        return self.registered - total(r for _, r in self.placed.values())

    def instance_id(self, cluster: str) -> str:
        """ECS's 32-hex container instance id, stable for a cluster on this engine."""
        return hashlib.sha256(f"{self.engine_id}/{cluster}".encode()).hexdigest()[:32]

    def instance_arn(self, cluster: str) -> str:
        return f"arn:aws:ecs:{arns.REGION}:{arns.ACCOUNT_ID}:container-instance/{cluster}/" + (
            self.instance_id(cluster)
        )

    def count(self, cluster: str) -> int:
        """Registered instances of ``cluster``: one when an engine stands behind it."""
        return 0 if self.registered is None else 1

    def statistics(self, cluster: str) -> list[dict[str, str]]:
        """DescribeClusters ``statistics`` (include=STATISTICS): CPU and memory of the engine."""
        if self.registered is None:
            return []
        remaining = self.remaining
        return [
            {"name": "registeredCpu", "value": str(self.registered.cpu)},
            {"name": "registeredMemory", "value": str(self.registered.memory)},
            {"name": "remainingCpu", "value": str(remaining.cpu)},
            {"name": "remainingMemory", "value": str(remaining.memory)},
            {"name": "pendingPlacementTasksCount", "value": str(len(self.waiting))},
        ]

    def describe(self, cluster: str) -> dict[str, Any]:
        """The ``ContainerInstance`` shape for ``cluster``'s instance."""
        assert self.registered is not None
        remaining = self.remaining
        running = sum(1 for c, _ in self.placed.values() if c == cluster)
        return {
            "containerInstanceArn": self.instance_arn(cluster),
            "ec2InstanceId": f"docker-engine-{self.engine_id[:12]}",
            "version": 1,
            "status": "ACTIVE",
            "agentConnected": True,
            "registeredResources": _resources(self.registered),
            "remainingResources": _resources(remaining),
            "runningTasksCount": running,
            "pendingTasksCount": sum(1 for c in self.waiting.values() if c == cluster),
            "registeredAt": self.registered_at,
            "attributes": [{"name": "ecs.os-type", "value": "linux"}],
        }


def _resources(r: Resources) -> list[dict[str, Any]]:
    return [
        {"name": "CPU", "type": "INTEGER", "integerValue": r.cpu},
        {"name": "MEMORY", "type": "INTEGER", "integerValue": r.memory},
    ]
