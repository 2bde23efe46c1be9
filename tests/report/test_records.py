"""Request records from locust's event arguments, and their CSV round trip."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from harness.report.records import (
    RequestRecord,
    read_records,
    record_from_request,
    write_records,
)


@dataclass
class FakeResponse:
    status_code: int
    headers: dict[str, str] = field(default_factory=dict)


def test_a_2xx_answer_keeps_version_and_task() -> None:
    response = FakeResponse(200, {"X-Model-Version": "3", "X-Task-Id": "abc"})
    record = record_from_request("/predict", 12.5, response, None, now=100.0)
    assert record == RequestRecord(100.0, 200, 12.5, "3", "abc", "/predict", "")
    assert record.ok


def test_a_connection_error_has_status_0_and_the_exception_text() -> None:
    error = ConnectionRefusedError("[Errno 111] Connection refused")
    record = record_from_request("/predict", 1.0, FakeResponse(0), error, now=1.0)
    assert record.status == 0 and not record.ok
    assert record.error == "ConnectionRefusedError: [Errno 111] Connection refused"


def test_any_non_2xx_is_an_error_even_without_an_exception() -> None:
    for status in (101, 302, 404, 502):
        record = record_from_request("/predict", 1.0, FakeResponse(status), None, now=1.0)
        assert not record.ok and record.error == f"HTTP {status}"


def test_no_response_object_at_all() -> None:
    record = record_from_request("/predict", 0, None, TimeoutError("slow"), now=1.0)
    assert (record.status, record.model_version, record.task_id) == (0, "", "")


def test_long_multiline_errors_stay_one_short_cell() -> None:
    record = record_from_request("/p", 1, FakeResponse(500), RuntimeError("a\nb" * 500), now=1)
    assert "\n" not in record.error and len(record.error) <= 300


def test_csv_round_trip_sorts_by_time(tmp_path: Path) -> None:
    records = [
        RequestRecord(2.5, 200, 3.25, "1", "t1", "/predict", ""),
        RequestRecord(1.25, 502, 9.5, "", "", "/v2/models/iris/infer", 'HTTP 502: "bad, gateway"'),
    ]
    path = tmp_path / "requests.csv"
    write_records(path, records)
    assert read_records(path) == sorted(records, key=lambda r: r.time)
