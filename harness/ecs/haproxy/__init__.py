"""The ALB stand-in: target groups, health checks and draining on a real HAProxy.

Pure parts: :mod:`model` (ELBv2 names), :mod:`config` (haproxy.cfg and why it looks so),
:mod:`stats` and :mod:`health` (HAProxy status -> ALB state and reason code).
I/O parts: :mod:`runtime_api` (Runtime API over TCP), :mod:`sink` (where the config is
written), :mod:`driver` (:class:`HaproxyBalancer`). The emulator depends on the
:class:`LoadBalancer` protocol only.
"""

from harness.ecs.haproxy.config import RUNTIME_API_PORT, BalancerSettings
from harness.ecs.haproxy.driver import HaproxyBalancer
from harness.ecs.haproxy.errors import BalancerError
from harness.ecs.haproxy.model import (
    HealthCheck,
    TargetGroup,
    TargetHealth,
    TargetHealthReason,
    TargetHealthState,
)
from harness.ecs.haproxy.protocol import LoadBalancer
from harness.ecs.haproxy.runtime_api import RuntimeApiAddress, RuntimeApiClient
from harness.ecs.haproxy.sink import DirectoryConfigSink, DockerConfigSink

__all__ = [
    "RUNTIME_API_PORT",
    "BalancerError",
    "BalancerSettings",
    "DirectoryConfigSink",
    "DockerConfigSink",
    "HaproxyBalancer",
    "HealthCheck",
    "LoadBalancer",
    "RuntimeApiAddress",
    "RuntimeApiClient",
    "TargetGroup",
    "TargetHealth",
    "TargetHealthReason",
    "TargetHealthState",
]
