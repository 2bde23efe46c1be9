"""SLO gates on a rollout, in the manner of Flagger's canary analysis.

Each gate compares one measured number with a threshold and says, in a
sentence, why it passed or failed. A number that could not be measured (no
requests at all) fails its gate: a rollout nobody watched is not a good one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from harness.report.run import RolloutRun
from harness.report.summary import Summary
from harness.report.traffic_steps import green_version, production_steps, step_shares


@dataclass(frozen=True)
class GateThresholds:
    """The limits a rollout must stay within; ``None`` turns a gate off."""

    max_error_rate_pct: float | None = 0.0
    max_p99_ms: float | None = 1000.0
    max_mixed_version_window_s: float | None = 60.0
    min_requests: int | None = 10
    #: traffic_share: max points between green's observed share and its configured weight
    #: at any traffic step of a BLUE_GREEN/LINEAR/CANARY deployment (issue 12 asks for 3).
    max_share_deviation_pct: float | None = 3.0
    #: steps with fewer answers than this are listed but not judged (too few to tell)
    min_step_requests: int = 200


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


def traffic_share_gate(run: RolloutRun, thresholds: GateThresholds) -> GateResult | None:
    """Green's observed share at each production traffic step against its configured weight.

    None (no gate) when the run had no traffic step: a ROLLING deployment shifts no weights.
    Fails when no step had ``min_step_requests`` answers or the versions could not be told
    apart, since then nobody checked the weights.
    """
    limit = thresholds.max_share_deviation_pct
    steps = production_steps(run.events, run.ended_at)
    if limit is None or not steps:
        return None
    green = green_version(run.records)
    if green is None:
        reason = "green's share could not be measured: fewer than two model versions answered"
        return GateResult("traffic_share", False, None, limit, "points", reason)
    shares = step_shares(steps, run.records, green)
    judged = [s for s in shares if s.answers >= thresholds.min_step_requests]
    if not judged:
        reason = (
            f"no traffic step had {thresholds.min_step_requests} answers to judge "
            f"({', '.join(str(s.answers) for s in shares)})"
        )
        return GateResult("traffic_share", False, None, limit, "points", reason)
    worst = max(judged, key=lambda s: s.deviation_pct or 0.0)
    deviation = worst.deviation_pct or 0.0
    passed = deviation <= limit
    per_step = "; ".join(
        f"{s.step.green_weight}% -> {s.observed_pct:.1f}% of {s.answers}"
        if s.answers >= thresholds.min_step_requests
        else f"{s.step.green_weight}% -> not judged ({s.answers} answers)"
        for s in shares
    )
    verb = "within" if passed else "over"
    reason = (
        f"green ({green}) is at most {deviation:.2f} points from its configured weight, "
        f"{verb} the limit of {limit:.4g} (configured -> observed: {per_step})"
    )
    return GateResult("traffic_share", passed, deviation, limit, "points", reason)
