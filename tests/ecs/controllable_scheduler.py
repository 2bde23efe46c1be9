"""A scheduler for API tests that also takes the strategies' two intentions.

``InstantScheduler`` plus ``stop_deployment`` and ``continue_deployment`` (the seam the
strategies' schedulers implement), each recorded in :attr:`ControllableScheduler.calls`
so a test sees what StopServiceDeployment and ContinueServiceDeployment asked for.
"""

from __future__ import annotations

from harness.ecs.control_plane import ControlPlane
from harness.ecs.control_plane.instant_scheduler import InstantScheduler
from harness.ecs.domain import HookAction, StopType


class ControllableScheduler(InstantScheduler):
    calls: list[tuple[object, ...]] = []

    def stop_deployment(self, stop_type: StopType) -> None:
        self.calls.append(("stop", stop_type))

    def continue_deployment(self, hook_id: str, action: HookAction) -> None:
        self.calls.append(("continue", hook_id, action))


def controllable_plane() -> ControlPlane:
    """A control plane whose services get a ControllableScheduler (calls cleared)."""
    ControllableScheduler.calls = []
    return ControlPlane(scheduler_factory=lambda svc, spec: ControllableScheduler(svc, spec))
