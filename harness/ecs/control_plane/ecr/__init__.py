"""ECR on the emulator: repositories as control-plane state, images in the real registry.

Repositories (names, tag mutability, scan and encryption settings) are kept here and
journaled like ECS's state; images are read from and deleted in the registry that
``docker push`` uses, through :class:`RegistryPort`. Protocol is ``harness.ecs.api``'s.
"""

from harness.ecs.control_plane.ecr.credentials import RegistryCredentials
from harness.ecs.control_plane.ecr.operations import ECR_MUTATIONS, ECR_OPERATIONS
from harness.ecs.control_plane.ecr.registry_port import Manifest, RegistryPort, RegistryUnavailable
from harness.ecs.control_plane.ecr.state import EcrState

__all__ = [
    "ECR_MUTATIONS",
    "ECR_OPERATIONS",
    "EcrState",
    "Manifest",
    "RegistryCredentials",
    "RegistryPort",
    "RegistryUnavailable",
]
