"""ELBv2 as the control plane keeps it: the emulator's one model of load balancing.

:mod:`.model` (load balancers, listeners, target groups, targets), :mod:`.target_health`
(states, reason codes and AWS's descriptions), :mod:`.validation` (AWS's
``ValidationError`` rules), :mod:`.targets` (registration, draining and health of one
group's targets) and :mod:`.registry` (:class:`Elbv2Registry`, what the API reads and
writes). HAProxy (``harness.ecs.haproxy``) knows none of it except the health
vocabulary; ``harness.ecs.emulator.haproxy_backends`` translates.
"""

from harness.ecs.control_plane.elbv2.model import (
    HealthCheck,
    Listener,
    LoadBalancer,
    Target,
    TargetGroup,
)
from harness.ecs.control_plane.elbv2.registry import Elbv2Registry
from harness.ecs.control_plane.elbv2.target_health import TargetHealthReason, TargetHealthState

__all__ = [
    "Elbv2Registry",
    "HealthCheck",
    "Listener",
    "LoadBalancer",
    "Target",
    "TargetGroup",
    "TargetHealthReason",
    "TargetHealthState",
]
