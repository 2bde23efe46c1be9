"""Target groups, targets and their health, as ELBv2 names them.

Durations here are seconds *already scaled* by the caller (the emulator's time-scale
setting), so a 30 s interval may arrive as 0.3 s; HAProxy gets them in milliseconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from harness.ecs.haproxy.errors import InvalidConfigurationRequestError

_MATCHER = re.compile(r"^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


class TargetHealthState(StrEnum):
    """``TargetHealth.State`` of ``DescribeTargetHealth``."""

    INITIAL = "initial"
    HEALTHY = "healthy"
    UNHEALTHY = "unhealthy"
    UNUSED = "unused"
    DRAINING = "draining"
    UNAVAILABLE = "unavailable"


class TargetHealthReason(StrEnum):
    """``TargetHealth.Reason`` codes, AWS's own strings."""

    REGISTRATION_IN_PROGRESS = "Elb.RegistrationInProgress"
    INITIAL_HEALTH_CHECKING = "Elb.InitialHealthChecking"
    RESPONSE_CODE_MISMATCH = "Target.ResponseCodeMismatch"
    TIMEOUT = "Target.Timeout"
    FAILED_HEALTH_CHECKS = "Target.FailedHealthChecks"
    DEREGISTRATION_IN_PROGRESS = "Target.DeregistrationInProgress"
    NOT_REGISTERED = "Target.NotRegistered"
    INTERNAL_ERROR = "Elb.InternalError"


@dataclass(frozen=True)
class HealthCheck:
    """A target group's health check; defaults are ALB's (interval 30, timeout 5, 5/2, 200)."""

    path: str = "/"
    interval_s: float = 30.0
    timeout_s: float = 5.0
    healthy_threshold: int = 5
    unhealthy_threshold: int = 2
    matcher: str = "200"

    def __post_init__(self) -> None:
        if not self.path.startswith("/") or any(c.isspace() for c in self.path):
            raise InvalidConfigurationRequestError(
                f"health check path {self.path!r} must start with '/' and contain no spaces"
            )
        if self.interval_s <= 0 or self.timeout_s <= 0:
            raise InvalidConfigurationRequestError(
                f"health check interval ({self.interval_s} s) and timeout ({self.timeout_s} s)"
                " must be positive"
            )
        if self.timeout_s >= self.interval_s:
            raise InvalidConfigurationRequestError(
                f"health check timeout ({self.timeout_s} s) must be smaller than the interval"
                f" ({self.interval_s} s), as ALB requires"
            )
        for name in ("healthy_threshold", "unhealthy_threshold"):
            value = getattr(self, name)
            if not 2 <= value <= 10:
                raise InvalidConfigurationRequestError(f"{name} is {value}; ALB allows 2-10")
        if not _MATCHER.match(self.matcher):
            raise InvalidConfigurationRequestError(
                f"matcher {self.matcher!r} must look like '200', '200,202' or '200-299'"
            )

    @property
    def interval_ms(self) -> int:
        return to_ms(self.interval_s)

    @property
    def timeout_ms(self) -> int:
        return to_ms(self.timeout_s)


@dataclass(frozen=True)
class TargetGroup:
    """One ALB target group = one HAProxy backend named :attr:`backend`."""

    name: str
    health_check: HealthCheck = field(default_factory=HealthCheck)
    deregistration_delay_s: float = 300.0

    def __post_init__(self) -> None:
        if not self.name or len(self.name) > 32 or _UNSAFE_NAME.search(self.name):
            raise InvalidConfigurationRequestError(
                f"target group name {self.name!r} must be 1-32 characters of A-Z a-z 0-9 _ . -"
            )
        if self.deregistration_delay_s < 0:
            raise InvalidConfigurationRequestError(
                f"deregistration delay {self.deregistration_delay_s} s must not be negative"
            )

    @property
    def backend(self) -> str:
        return f"tg-{self.name}"


@dataclass(frozen=True)
class Target:
    """A registered target: a container's IP and port on the balancer's docker network."""

    target_id: str
    ip: str
    port: int

    @property
    def server(self) -> str:
        """HAProxy server that takes traffic while the target is healthy (health-checked)."""
        return "t-" + _UNSAFE_NAME.sub("_", self.target_id)

    @property
    def fail_open_server(self) -> str:
        """Unchecked ``backup`` twin: used only when every checked server is down (fail open)."""
        return self.server + "-fo"


@dataclass(frozen=True)
class TargetHealth:
    """One entry of ``DescribeTargetHealth``'s ``TargetHealthDescriptions``."""

    target_id: str
    port: int
    state: TargetHealthState
    reason: TargetHealthReason | None = None
    description: str = ""


def to_ms(seconds: float) -> int:
    """HAProxy timers are whole milliseconds; never round a positive duration to 0."""
    return max(1, round(seconds * 1000))
