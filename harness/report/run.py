"""One load-tested rollout, as the report sees it: requests, events, clock marks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from harness.report.records import RequestRecord


@dataclass(frozen=True)
class DeploymentEvent:
    """Something that happened to the deployment, at an epoch time.

    ``source`` tells an ECS service event (``"ecs"``) from the load test's own
    marks, such as the moment it fired the deployment (``"trigger"``).
    """

    at: float
    message: str
    source: str = "ecs"


@dataclass(frozen=True)
class RolloutRun:
    """Everything measured in one run; all times are epoch seconds."""

    records: list[RequestRecord]
    events: list[DeploymentEvent]
    started_at: float
    ended_at: float
    trigger_at: float | None = None
    target_url: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)


def event_time(created_at: datetime | float | int | str) -> float:
    """ECS ``createdAt`` to epoch seconds: boto3 gives datetimes, raw JSON gives numbers."""
    if isinstance(created_at, datetime):
        return created_at.timestamp()
    if isinstance(created_at, str):
        return datetime.fromisoformat(created_at).timestamp()
    return float(created_at)


def deployment_event(raw: dict[str, Any], source: str = "ecs") -> DeploymentEvent:
    """One ``DescribeServices`` ``events[]`` entry as a :class:`DeploymentEvent`."""
    return DeploymentEvent(event_time(raw["createdAt"]), str(raw["message"]), source)
