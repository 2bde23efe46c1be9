"""SLO gates on a rollout, in the manner of Flagger's canary analysis.

Each gate compares one measured number with a threshold and says, in a
sentence, why it passed or failed. A number that could not be measured (no
requests at all) fails its gate: a rollout nobody watched is not a good one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from harness.report.summary import Summary


@dataclass(frozen=True)
class GateThresholds:
    """The limits a rollout must stay within; ``None`` turns a gate off."""

    max_error_rate_pct: float | None = 0.0
    max_p99_ms: float | None = 1000.0
    max_mixed_version_window_s: float | None = 60.0
    min_requests: int | None = 10


@dataclass(frozen=True)
class GateResult:
    name: str
    passed: bool
    measured: float | None
    threshold: float
    unit: str
    reason: str


def _upper(name: str, measured: float | None, limit: float, unit: str, what: str) -> GateResult:
    if measured is None:
        return GateResult(name, False, None, limit, unit, f"{what} could not be measured")
    passed = measured <= limit
    verb = "within" if passed else "over"
    reason = f"{what} {measured:.4g} {unit} is {verb} the limit of {limit:.4g} {unit}"
    return GateResult(name, passed, measured, limit, unit, reason)


def evaluate_gates(summary: Summary, thresholds: GateThresholds) -> list[GateResult]:
    """Every gate that has a threshold, in a fixed order."""
    results: list[GateResult] = []
    if thresholds.min_requests is not None:
        limit = thresholds.min_requests
        passed = summary.requests >= limit
        relation = "at least" if passed else "fewer than"
        results.append(
            GateResult(
                "request_count",
                passed,
                summary.requests,
                limit,
                "requests",
                f"{summary.requests} requests is {relation} the minimum of {limit}",
            )
        )
    if thresholds.max_error_rate_pct is not None:
        gate = _upper(
            "error_rate",
            summary.error_rate_pct,
            thresholds.max_error_rate_pct,
            "%",
            "error rate",
        )
        if summary.error_rate_pct is not None:
            counts = f" ({summary.errors} of {summary.requests} requests failed)"
            gate = replace(gate, reason=gate.reason + counts)
        results.append(gate)
    if thresholds.max_p99_ms is not None:
        results.append(
            _upper("p99_latency", summary.p99_ms, thresholds.max_p99_ms, "ms", "p99 latency")
        )
    if thresholds.max_mixed_version_window_s is not None:
        results.append(
            _upper(
                "mixed_version_window",
                summary.mixed_version_window_s,
                thresholds.max_mixed_version_window_s,
                "s",
                "mixed-version window",
            )
        )
    return results


def failed(results: Iterable[GateResult]) -> list[GateResult]:
    return [r for r in results if not r.passed]
