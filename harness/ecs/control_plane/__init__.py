"""Control plane of the ECS emulator: clusters, task definitions, services, ELBv2 state,
and ECR's repositories (``ecr/``).

Plain classes behind one lock; no protocol here (that is ``harness.ecs.api``) and no
deployment logic (that is ``harness.ecs.scheduler``, reached through
:class:`~harness.ecs.control_plane.scheduler_handle.SchedulerHandle`).
"""

from harness.ecs.control_plane.ecs_operations import ECS_OPERATIONS
from harness.ecs.control_plane.elbv2_operations import ELBV2_OPERATIONS
from harness.ecs.control_plane.errors import ControlPlaneError
from harness.ecs.control_plane.plane import ControlPlane, Operation
from harness.ecs.control_plane.scheduler_handle import SchedulerFactory, SchedulerHandle

__all__ = [
    "ECS_OPERATIONS",
    "ELBV2_OPERATIONS",
    "ControlPlane",
    "ControlPlaneError",
    "Operation",
    "SchedulerFactory",
    "SchedulerHandle",
]
