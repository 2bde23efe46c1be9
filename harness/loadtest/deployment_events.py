"""Collect a service's deployment events while the load runs.

``DescribeServices`` returns the newest 100 events of a service each time, so
polling every second and de-duplicating keeps every event of a rollout even
when it produces many. Events from before the load started are history from
earlier deployments and are left out. A failing poll (the API busy, a timeout)
is remembered and the next poll tries again: losing one second of events must
not end the test.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from harness.report.run import DeploymentEvent, deployment_event

EventsSource = Callable[[], list[dict[str, Any]]]
log = logging.getLogger(__name__)


class EventCollector:
    def __init__(self, source: EventsSource | None, since: float) -> None:
        self.source = source
        self.since = since
        self.failures = 0
        self.last_error = ""
        self._seen: dict[tuple[float, str], DeploymentEvent] = {}

    def poll(self) -> None:
        if self.source is None:
            return
        try:
            raw_events = self.source()
            events = [deployment_event(raw) for raw in raw_events]
        except Exception as exc:  # any API error: keep the test going, report it at the end
            self.failures += 1
            self.last_error = f"{type(exc).__name__}: {exc}"
            if self.failures == 1:
                log.warning("reading deployment events failed (will retry): %s", self.last_error)
            return
        for event in events:
            if event.at >= self.since:
                self._seen.setdefault((event.at, event.message), event)

    def events(self) -> list[DeploymentEvent]:
        return sorted(self._seen.values(), key=lambda e: e.at)
