"""The emulator's loop asks HAProxy what it saw, files it as CloudWatch metrics, and
evaluates the alarms: the I/O around :mod:`.alb_metrics`.

Called after every step of the driver loop (a few times a second); it acts once per
:func:`sample_interval_s`, well within an alarm's shortest period at any time scale, so
an alarm sees a datapoint within a second or so of its period ending. HAProxy failing to
answer costs one sample (logged), never the loop; alarms are still evaluated, so
missing data is treated as the alarm says.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

from harness.ecs.control_plane import ControlPlane
from harness.ecs.emulator.alb_metrics import CounterDeltas, alb_datapoints, routes_of
from harness.ecs.haproxy.errors import HaproxyError
from harness.ecs.haproxy.stats import TrafficCounters
from harness.time_scale import TimeScale

log = logging.getLogger(__name__)


class TrafficSource(Protocol):
    def traffic(self) -> list[TrafficCounters]:
        """Every frontend's, backend's and server's cumulative counters."""
        ...


def sample_interval_s(scale: TimeScale) -> float:
    """Wall seconds between samples: 5 AWS seconds, kept within [0.2, 1] wall seconds
    (an alarm's shortest period is 10 AWS seconds)."""
    return min(1.0, max(0.2, scale.wall(5)))


class AlbMetricsSampler:
    def __init__(
        self,
        source: TrafficSource,
        control_plane: ControlPlane,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.source = source
        self.control_plane = control_plane
        self.clock = clock
        self.interval_s = sample_interval_s(control_plane.cloudwatch.scale)
        self._deltas = CounterDeltas()
        self._next = 0.0

    def tick(self) -> None:
        """Sample and evaluate if the interval has passed; else nothing."""
        now = self.clock()
        if now < self._next:
            return
        self._next = now + self.interval_s
        self.sample(now)

    def sample(self, now: float) -> None:
        try:
            rows: list[TrafficCounters] | None = self.source.traffic()
        except HaproxyError as exc:
            log.warning("no load balancer metrics this time: %s", exc)
            rows = None
        cp = self.control_plane
        with cp.lock:
            if rows is not None:
                routes = routes_of(cp.elbv2.load_balancers.values(), cp.elbv2.target_groups)
                for point in alb_datapoints(self._deltas.update(rows), routes):
                    cp.cloudwatch.metrics.put(point.key, now, point.statistics, point.unit)
            changed = cp.cloudwatch.evaluate(now)
        for alarm in changed:
            log.info("alarm %s is %s: %s", alarm.name, alarm.state.value, alarm.state_reason)
