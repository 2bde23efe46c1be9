"""Request records to per-second series: what the charts and the gates read.

One-second buckets are the resolution a person reads a rollout at (tasks take
seconds to start and drain) and what locust itself reports. Each bucket holds
counts and exact percentiles of its own requests, computed from the records
rather than locust's rounded histogram, because the per-version share and the
per-second p99 are not something locust's stats keep.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from harness.report.records import RequestRecord

#: The label for responses that carried no X-Model-Version (connection errors, a proxy's 502).
NO_VERSION = "none"


@dataclass(frozen=True)
class SecondBucket:
    """Requests answered during ``[second, second + 1)`` seconds after the start."""

    second: int
    requests: int
    errors: int
    p50_ms: float | None
    p99_ms: float | None
    versions: dict[str, int] = field(default_factory=dict)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0..100): always a latency that was really seen."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[rank - 1]


def version_label(record: RequestRecord) -> str:
    return record.model_version or NO_VERSION


def build_timeline(
    records: Iterable[RequestRecord], started_at: float, ended_at: float | None = None
) -> list[SecondBucket]:
    """Bucket records by whole seconds since ``started_at``; empty seconds are kept as zeros.

    Records before ``started_at`` land in second 0, so nothing measured is lost.
    """
    by_second: dict[int, list[RequestRecord]] = {}
    for record in records:
        second = max(0, int(record.time - started_at))
        by_second.setdefault(second, []).append(record)
    last = max(by_second, default=-1)
    if ended_at is not None:
        last = max(last, math.ceil(ended_at - started_at) - 1)
    return [_bucket(second, by_second.get(second, [])) for second in range(last + 1)]


def _bucket(second: int, records: list[RequestRecord]) -> SecondBucket:
    latencies = [r.latency_ms for r in records]
    return SecondBucket(
        second=second,
        requests=len(records),
        errors=sum(1 for r in records if not r.ok),
        p50_ms=percentile(latencies, 50),
        p99_ms=percentile(latencies, 99),
        versions=dict(sorted(Counter(version_label(r) for r in records).items())),
    )


def version_order(buckets: Iterable[SecondBucket]) -> list[str]:
    """Versions in order of first appearance (old before new), ``none`` last."""
    seen: dict[str, None] = {}
    for bucket in buckets:
        for version, count in bucket.versions.items():
            if count:
                seen.setdefault(version, None)
    ordered = [v for v in seen if v != NO_VERSION]
    return ordered + ([NO_VERSION] if NO_VERSION in seen else [])
