"""The metric store: datapoints per metric, cut into periods on request.

Datapoints arrive as statistic sets stamped with the emulator's clock (epoch seconds):
from PutMetricData, and from the load balancer's counters
(``harness.ecs.emulator.alb_metrics_sampler``). Periods are cut when read, on boundaries
that are multiples of the period's wall length since the epoch, the way CloudWatch aligns
them; a period of ``P`` AWS seconds lasts ``scale.wall(P)`` here.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass, field

from harness.ecs.control_plane.cloudwatch.model import MetricKey, StatisticSet, merged

#: Datapoints kept per metric (the oldest go first): about a day of one-second samples.
MAX_DATAPOINTS_PER_METRIC = 100_000


@dataclass
class _Series:
    times: list[float] = field(default_factory=list)
    sets: list[StatisticSet] = field(default_factory=list)
    unit: str | None = None


@dataclass(frozen=True)
class PeriodStatistics:
    """One period that has data: where it starts (epoch seconds) and its statistics."""

    start: float
    statistics: StatisticSet


class MetricStore:
    def __init__(self, max_datapoints: int = MAX_DATAPOINTS_PER_METRIC) -> None:
        self._series: dict[MetricKey, _Series] = {}
        self.max_datapoints = max_datapoints

    def put(self, key: MetricKey, at: float, stats: StatisticSet, unit: str | None = None) -> None:
        series = self._series.setdefault(key, _Series())
        index = bisect.bisect_right(series.times, at)
        series.times.insert(index, at)
        series.sets.insert(index, stats)
        if unit is not None:
            series.unit = unit
        if len(series.times) > self.max_datapoints:
            del series.times[0], series.sets[0]

    def keys(self) -> Iterator[MetricKey]:
        return iter(list(self._series))

    def unit(self, key: MetricKey) -> str | None:
        series = self._series.get(key)
        return series.unit if series else None

    def between(self, key: MetricKey, start: float, end: float) -> StatisticSet | None:
        """Everything put for ``key`` at ``start <= t < end``, merged; None: no data."""
        series = self._series.get(key)
        if series is None:
            return None
        lo = bisect.bisect_left(series.times, start)
        hi = bisect.bisect_left(series.times, end)
        return merged(series.sets[lo:hi])

    def periods(
        self, key: MetricKey, start: float, end: float, period_s: float
    ) -> list[PeriodStatistics]:
        """The aligned periods overlapping ``[start, end)`` that have data, oldest first."""
        found: list[PeriodStatistics] = []
        first = period_start(start, period_s)
        count = max(0, int(-(-(end - first) // period_s)))
        for i in range(count):
            lo = first + i * period_s
            stats = self.between(key, max(lo, start), min(lo + period_s, end))
            if stats is not None:
                found.append(PeriodStatistics(lo, stats))
        return found


def period_start(at: float, period_s: float) -> float:
    """The start of the aligned period that holds ``at``."""
    return (at // period_s) * period_s
