"""The rolling-update arithmetic: how many tasks may run, how many must stay healthy.

AWS rounds maximumPercent DOWN and minimumHealthyPercent UP, so a small service can end
up allowed neither to start nor to stop (desired 3 at 125%: floor(3.75) = 3).
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.ecs.domain import DeploymentConfiguration


@dataclass(frozen=True)
class Bounds:
    max_tasks: int
    min_healthy: int

    @classmethod
    def of(cls, config: DeploymentConfiguration, desired_count: int) -> Bounds:
        return cls(config.max_tasks(desired_count), config.min_healthy_tasks(desired_count))

    def room_to_start(self, occupied: int) -> int:
        """How many tasks may start now, given the tasks that already hold a slot."""
        return max(0, self.max_tasks - occupied)

    def may_stop_healthy(self, healthy: int) -> int:
        """How many healthy tasks may be stopped without going under the floor."""
        return max(0, healthy - self.min_healthy)
