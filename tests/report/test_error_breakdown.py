"""Failed requests grouped by status, endpoint and task, each with its first example."""

from __future__ import annotations

from harness.report.error_breakdown import NO_TASK, ErrorGroup, error_breakdown
from harness.report.records import RequestRecord


def record(t: float, status: int, endpoint: str, task: str, error: str = "") -> RequestRecord:
    return RequestRecord(t, status, 5.0, "1" if status == 200 else "", task, endpoint, error)


def test_groups_by_status_endpoint_and_task_with_the_first_example() -> None:
    records = [
        record(1.0, 200, "/predict", "a"),
        record(3.0, 502, "/predict", "a", "HTTP 502"),
        record(2.0, 502, "/predict", "a", "HTTP 502: bad gateway (first)"),
        record(2.5, 502, "/predict", "b", "HTTP 502"),
        record(4.0, 0, "/v2/models/iris/infer", "", "ConnectionResetError: reset"),
        record(5.0, 503, "/predict", "a"),
    ]
    assert error_breakdown(records) == [
        ErrorGroup(502, "/predict", "a", 2, 2.0, "HTTP 502: bad gateway (first)"),
        ErrorGroup(502, "/predict", "b", 1, 2.5, "HTTP 502"),
        ErrorGroup(0, "/v2/models/iris/infer", NO_TASK, 1, 4.0, "ConnectionResetError: reset"),
        ErrorGroup(503, "/predict", "a", 1, 5.0, "HTTP 503"),
    ]


def test_a_clean_run_has_no_groups() -> None:
    assert error_breakdown([record(1.0, 200, "/predict", "a")]) == []
