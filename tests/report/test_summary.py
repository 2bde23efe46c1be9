"""Headline numbers: the mixed-version window and the rollout duration."""

from __future__ import annotations

import pytest

from harness.report.records import RequestRecord
from harness.report.run import DeploymentEvent, RolloutRun, deployment_event
from harness.report.summary import VersionSpan, mixed_version_window, summarise, version_spans
from tests.report.synthetic import START, synthetic_run


def span(version: str, first: float, last: float) -> VersionSpan:
    return VersionSpan(version, first, last, 1)


def test_an_atomic_switch_has_no_mixed_window() -> None:
    assert mixed_version_window([span("1", 0, 10), span("2", 10, 20)]) == 0


def test_a_rolling_replacement_counts_the_overlap() -> None:
    assert mixed_version_window([span("1", 0, 14), span("2", 9, 20)]) == pytest.approx(5)


def test_a_rollback_counts_the_time_the_bad_version_was_live() -> None:
    spans = [span("1", 0, 30), span("2", 10, 13), span("3", 12, 16)]
    assert mixed_version_window(spans) == pytest.approx(6)


def test_version_spans_ignore_answers_without_a_version() -> None:
    records = [
        RequestRecord(5.0, 200, 1, "2", "", "/predict", ""),
        RequestRecord(1.0, 200, 1, "1", "", "/predict", ""),
        RequestRecord(3.0, 502, 1, "", "", "/predict", "HTTP 502"),
        RequestRecord(4.0, 200, 1, "1", "", "/predict", ""),
    ]
    assert version_spans(records) == [VersionSpan("1", 1, 4, 2), VersionSpan("2", 5, 5, 1)]


def test_summary_of_the_synthetic_rollout() -> None:
    summary = summarise(synthetic_run())
    assert summary.requests == 600
    assert summary.errors == 3
    assert summary.error_rate_pct == pytest.approx(0.5)
    assert [v.version for v in summary.versions] == ["1", "2"]
    assert 3 < summary.mixed_version_window_s < 6
    assert summary.rollout_duration_s == pytest.approx(13.0)
    assert summary.rollout_basis == "trigger to steady-state event"
    assert summary.achieved_rps == pytest.approx(20)


def test_rollout_duration_falls_back_to_the_last_old_answer() -> None:
    run = synthetic_run()
    without_events = RolloutRun(**{**run.__dict__, "events": []})
    summary = summarise(without_events)
    assert summary.rollout_basis == "trigger to last old-version response"
    old = next(v for v in summary.versions if v.version == "1")
    assert summary.rollout_duration_s == pytest.approx(old.last - run.trigger_at)


def test_no_trigger_means_no_rollout_duration() -> None:
    run = RolloutRun(records=[], events=[], started_at=START, ended_at=START + 1)
    summary = summarise(run)
    assert summary.rollout_duration_s is None
    assert summary.error_rate_pct is None and summary.p99_ms is None


def test_ecs_events_accept_datetimes_and_numbers() -> None:
    from datetime import UTC, datetime

    when = datetime(2025, 1, 1, tzinfo=UTC)
    assert deployment_event({"createdAt": when, "message": "m"}) == DeploymentEvent(
        when.timestamp(), "m", "ecs"
    )
    assert deployment_event({"createdAt": 12.5, "message": "m"}).at == 12.5
