"""Gates pass and fail with the measured value and a sentence saying why."""

from __future__ import annotations

from dataclasses import replace

from harness.report.gates import GateThresholds, evaluate_gates, failed
from harness.report.summary import summarise
from tests.report.synthetic import synthetic_run

CLEAN = summarise(synthetic_run(errors=False))


def by_name(results: list) -> dict:
    return {r.name: r for r in results}


def test_a_clean_rollout_passes_every_gate() -> None:
    results = evaluate_gates(CLEAN, GateThresholds())
    assert [r.name for r in results] == [
        "request_count",
        "error_rate",
        "p99_latency",
        "mixed_version_window",
    ]
    assert failed(results) == []


def test_one_error_breaks_a_zero_error_budget() -> None:
    summary = summarise(synthetic_run(errors=True))
    gates = by_name(evaluate_gates(summary, GateThresholds()))
    gate = gates["error_rate"]
    assert not gate.passed
    assert gate.measured == 0.5 and gate.threshold == 0
    assert "over the limit" in gate.reason and "3 of 600" in gate.reason
    assert [g.name for g in failed(gates.values())] == ["error_rate"]
    relaxed = by_name(evaluate_gates(summary, GateThresholds(max_error_rate_pct=1.0)))
    assert relaxed["error_rate"].passed


def test_p99_and_mixed_window_limits() -> None:
    strict = GateThresholds(max_p99_ms=50, max_mixed_version_window_s=2)
    gates = by_name(evaluate_gates(CLEAN, strict))
    assert not gates["p99_latency"].passed
    assert gates["p99_latency"].measured > 50
    assert "p99 latency" in gates["p99_latency"].reason
    assert not gates["mixed_version_window"].passed
    assert "mixed-version window" in gates["mixed_version_window"].reason


def test_too_few_requests_and_nothing_measured_fail() -> None:
    empty = replace(CLEAN, requests=0, errors=0, error_rate_pct=None, p99_ms=None)
    gates = by_name(evaluate_gates(empty, GateThresholds()))
    assert not gates["request_count"].passed
    assert gates["request_count"].reason == "0 requests is fewer than the minimum of 10"
    assert not gates["error_rate"].passed and "could not be measured" in gates["error_rate"].reason
    assert not gates["p99_latency"].passed


def test_a_gate_without_threshold_is_not_evaluated() -> None:
    thresholds = GateThresholds(max_p99_ms=None, max_mixed_version_window_s=None)
    assert [r.name for r in evaluate_gates(CLEAN, thresholds)] == ["request_count", "error_rate"]
