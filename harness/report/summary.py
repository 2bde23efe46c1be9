"""The headline numbers of a run, the ones the gates judge and the page shows first."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from harness.report.records import RequestRecord
from harness.report.run import DeploymentEvent, RolloutRun
from harness.report.timeline import percentile

STEADY_STATE = "has reached a steady state"


@dataclass(frozen=True)
class VersionSpan:
    """When a model version answered: its first and last response (epoch s)."""

    version: str
    first: float
    last: float
    responses: int


@dataclass(frozen=True)
class Summary:
    requests: int
    errors: int
    error_rate_pct: float | None
    p50_ms: float | None
    p99_ms: float | None
    achieved_rps: float
    duration_s: float
    versions: list[VersionSpan]
    mixed_version_window_s: float
    rollout_duration_s: float | None
    rollout_basis: str


def version_spans(records: Iterable[RequestRecord]) -> list[VersionSpan]:
    """Each version seen in a response header, ordered by when it first answered."""
    first: dict[str, float] = {}
    last: dict[str, float] = {}
    counts: Counter[str] = Counter()
    for record in records:
        version = record.model_version
        if not version:
            continue
        first[version] = min(first.get(version, record.time), record.time)
        last[version] = max(last.get(version, record.time), record.time)
        counts[version] += 1
    spans = [VersionSpan(v, first[v], last[v], counts[v]) for v in first]
    return sorted(spans, key=lambda s: (s.first, s.version))


def mixed_version_window(spans: Iterable[VersionSpan]) -> float:
    """Seconds during which more than one version was answering.

    A version "answers" from its first to its last response; the window is the
    total time covered by two or more of those spans. An atomic switch gives 0,
    a rolling replacement gives the time old and new tasks shared the traffic,
    and a rollback (1, 2, back to 1) gives the time version 2 was live. Measured
    on response times, so not rounded to buckets.
    """
    edges: list[tuple[float, int]] = []
    for span in spans:
        edges += [(span.first, 1), (span.last, -1)]
    edges.sort(key=lambda edge: (edge[0], -edge[1]))
    window, live, since = 0.0, 0, 0.0
    for at, step in edges:
        if live >= 2:
            window += at - since
        live += step
        since = at
    return window


def rollout_duration(run: RolloutRun, spans: list[VersionSpan]) -> tuple[float | None, str]:
    """From the trigger to the service's steady state, or failing that to the last old answer.

    Returns the duration and the basis it was measured on, so the page can say.
    """
    if run.trigger_at is None:
        return None, "no deployment was triggered"
    steady = [e for e in run.events if _is_steady(e) and e.at >= run.trigger_at]
    if steady:
        return max(e.at for e in steady) - run.trigger_at, "trigger to steady-state event"
    old = [s for s in spans if s.first < run.trigger_at]
    new = [s for s in spans if s.first >= run.trigger_at]
    if old and new:
        return max(s.last for s in old) - run.trigger_at, "trigger to last old-version response"
    return None, "no steady-state event and no version change seen"


def _is_steady(event: DeploymentEvent) -> bool:
    return STEADY_STATE in event.message


def summarise(run: RolloutRun) -> Summary:
    records = run.records
    latencies = [r.latency_ms for r in records]
    errors = sum(1 for r in records if not r.ok)
    duration = max(0.0, run.ended_at - run.started_at)
    spans = version_spans(records)
    rollout, basis = rollout_duration(run, spans)
    return Summary(
        requests=len(records),
        errors=errors,
        error_rate_pct=100.0 * errors / len(records) if records else None,
        p50_ms=percentile(latencies, 50),
        p99_ms=percentile(latencies, 99),
        achieved_rps=len(records) / duration if duration else 0.0,
        duration_s=duration,
        versions=spans,
        mixed_version_window_s=mixed_version_window(spans),
        rollout_duration_s=rollout,
        rollout_basis=basis,
    )
