"""Records to per-second series, on hand-made records with known answers."""

from __future__ import annotations

from harness.report.records import RequestRecord
from harness.report.timeline import NO_VERSION, build_timeline, percentile, version_order

T0 = 1000.0


def rec(t: float, latency: float = 10.0, version: str = "1", status: int = 200) -> RequestRecord:
    error = "" if 200 <= status < 300 else f"HTTP {status}"
    return RequestRecord(T0 + t, status, latency, version, "task", "/predict", error)


def test_percentile_is_nearest_rank_and_a_real_sample() -> None:
    values = list(range(1, 101))
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile([7.0], 99) == 7.0
    assert percentile([3.0, 1.0, 2.0], 100) == 3.0
    assert percentile([], 50) is None


def test_buckets_count_requests_errors_latency_and_versions_per_second() -> None:
    records = [
        rec(0.1, 10),
        rec(0.9, 30),
        rec(1.2, 20, version="2"),
        rec(1.5, 40, version="", status=502),
        rec(1.7, 5, version="1"),
    ]
    buckets = build_timeline(records, T0)
    assert [b.second for b in buckets] == [0, 1]
    first, second = buckets
    assert (first.requests, first.errors, first.p50_ms, first.p99_ms) == (2, 0, 10, 30)
    assert first.versions == {"1": 2}
    assert (second.requests, second.errors, second.p50_ms, second.p99_ms) == (3, 1, 20, 40)
    assert second.versions == {"1": 1, "2": 1, NO_VERSION: 1}


def test_quiet_seconds_stay_as_zeros_up_to_the_end() -> None:
    buckets = build_timeline([rec(0.5), rec(3.5)], T0, ended_at=T0 + 6)
    assert [b.requests for b in buckets] == [1, 0, 0, 1, 0, 0]
    assert buckets[1].p99_ms is None and buckets[1].versions == {}


def test_records_before_the_start_count_in_the_first_second() -> None:
    buckets = build_timeline([rec(-0.2), rec(0.3)], T0)
    assert [b.requests for b in buckets] == [2]


def test_no_records_and_no_end_gives_no_buckets() -> None:
    assert build_timeline([], T0) == []


def test_versions_are_ordered_old_to_new_with_none_last() -> None:
    records = [rec(0.1, version=""), rec(0.2, version="1"), rec(2.0, version="2")]
    assert version_order(build_timeline(records, T0)) == ["1", "2", NO_VERSION]
