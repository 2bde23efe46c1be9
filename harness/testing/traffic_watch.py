"""What clients saw of a traffic-shifting deployment: blue or green per answer, per step.

A scenario's :class:`~harness.testing.load.ClientLoad` records ``X-Task-Id`` (each task's
hostname) and a monotonic time; the service's events say when each production step
began. This joins the two through the report's own step logic
(:mod:`harness.report.traffic_steps`), so a scenario and ``drydock loadtest`` judge a
step's share the same way. Blue is every task that ran before the deployment; any
other task that answers is green.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from harness.report.records import RequestRecord
from harness.report.run import deployment_event
from harness.report.traffic_steps import (
    StepShare,
    TrafficStep,
    production_steps,
    step_shares,
)
from harness.testing.load import Response
from harness.testing.service import EcsService

BLUE, GREEN = "blue", "green"


class TrafficWatch:
    """Labels answers blue or green and measures green's share per production step."""

    def __init__(self, service: EcsService) -> None:
        self.service = service
        self.blue_hosts = set(service.task_id_by_hostname())
        # ClientLoad's times are monotonic; events are epoch seconds
        self._epoch_offset = time.time() - time.monotonic()

    def label(self, response: Response) -> str:
        return BLUE if (response.task_id or "") in self.blue_hosts else GREEN

    def records(self, responses: Iterable[Response]) -> list[RequestRecord]:
        """Responses as the report's records, the model version being blue or green."""
        return [
            RequestRecord(
                time=r.at + self._epoch_offset,
                status=r.status or 0,
                latency_ms=0.0,
                model_version=self.label(r) if r.ok else "",
                task_id=r.task_id or "",
                endpoint="/predict",
                error=r.error,
            )
            for r in responses
        ]

    def epoch(self, monotonic: float) -> float:
        return monotonic + self._epoch_offset

    def events(self) -> list[Any]:
        """The service's events as the report reads them."""
        raw = self.service.describe()["events"]
        return sorted((deployment_event(e) for e in raw), key=lambda e: e.at)

    def steps(self) -> list[TrafficStep]:
        return production_steps(self.events(), time.time())

    def shares(self, responses: Iterable[Response], settle_s: float = 1.0) -> list[StepShare]:
        return step_shares(self.steps(), self.records(responses), GREEN, settle_s)


def service_deployments(service: EcsService) -> list[dict[str, Any]]:
    """The service's service deployments, newest first, described."""
    ecs = service.ecs
    listed = ecs.list_service_deployments(cluster=service.cluster, service=service.name)
    arns = [d["serviceDeploymentArn"] for d in listed["serviceDeployments"]]
    if not arns:
        return []
    found = ecs.describe_service_deployments(serviceDeploymentArns=arns)["serviceDeployments"]
    return sorted(found, key=lambda d: d["createdAt"], reverse=True)


def wait_service_deployment(
    service: EcsService,
    *,
    status: str | None = None,
    stage: str | None = None,
    timeout_s: float = 180.0,
) -> dict[str, Any]:
    """Wait until the newest service deployment has ``status`` (and/or is at ``stage``)."""
    deadline = time.monotonic() + timeout_s
    newest: dict[str, Any] = {}
    while time.monotonic() < deadline:
        found = service_deployments(service)
        newest = found[0] if found else {}
        if (
            newest
            and (status is None or newest.get("status") == status)
            and (stage is None or newest.get("lifecycleStage") == stage)
        ):
            return newest
        time.sleep(0.2)
    raise AssertionError(
        f"service deployment not {status or ''} {stage or ''} in {timeout_s} s: "
        f"{newest.get('status')} at {newest.get('lifecycleStage')}\n{service.diagnosis()}"
    )
